using TrafficSentinel.Engine.Protocols.OpenVpn;
using static TrafficSentinel.Engine.Tests.Protocols.OpenVpn.OpenVpnSamples;

namespace TrafficSentinel.Engine.Tests.Protocols.OpenVpn;

public class OpenVpnControlPacketTests
{
    [Fact]
    public void TryParse_PlainServerReset_ReadsTheEchoedSessionId()
    {
        Assert.True(OpenVpnControlPacket.TryParse(Bytes(PlainServerReset), OpenVpnLayout.None, out OpenVpnControlPacket p));
        Assert.Equal(OpenVpnOpcode.HardResetServerV2, p.Opcode);
        Assert.Equal(0, p.KeyId);
        Assert.Equal(0x9421917de7267729UL, p.SessionId);
        Assert.False(p.HasReplay);
        Assert.True(p.HasAckArray);
        Assert.Equal(1, p.AckCount);
        Assert.Equal(0x39fded2daa10a437UL, p.RemoteSessionId);
        Assert.True(p.HasMessageId);
        Assert.Equal(0u, p.MessageId);
        Assert.Equal(26, p.PayloadOffset);
    }

    [Fact]
    public void TryParse_TlsAuthServerReset_ReadsReplayFieldsAfterTheHmac()
    {
        Assert.True(OpenVpnControlPacket.TryParse(Bytes(TlsAuthServerReset), OpenVpnLayout.TlsAuth(20), out OpenVpnControlPacket p));
        Assert.Equal(0xe42b1c899dedd1aaUL, p.SessionId);
        Assert.True(p.HasReplay);
        Assert.Equal(1u, p.ReplayPacketId);
        Assert.Equal(0x6b033c28u, p.NetTime);
        Assert.Equal(0x2746a163d38818fcUL, p.RemoteSessionId);
    }

    [Fact]
    public void TryParse_TlsCrypt_ReadsOnlyTheClearHeader()
    {
        Assert.True(OpenVpnControlPacket.TryParse(Bytes(TlsCryptServerReset), OpenVpnLayout.TlsCrypt, out OpenVpnControlPacket p));
        Assert.Equal(0xa2ff23f3b8d42322UL, p.SessionId);
        Assert.Equal(1u, p.ReplayPacketId);
        Assert.Equal(0x6b033c30u, p.NetTime);
        Assert.False(p.HasAckArray);
        Assert.False(p.HasMessageId);
        Assert.Equal(49, p.PayloadOffset);
    }

    [Fact]
    public void TryParse_V3_ChecksTheWrappedClientKeyLength()
    {
        byte[] reset = Bytes(TlsCryptV2ClientReset);
        Assert.True(OpenVpnControlPacket.TryParse(reset, OpenVpnLayout.TlsCrypt, out OpenVpnControlPacket p));
        Assert.Equal(OpenVpnOpcode.HardResetClientV3, p.Opcode);
        Assert.Equal(0x0f000001u, p.ReplayPacketId);
        Assert.False(OpenVpnControlPacket.TryParse(reset, OpenVpnLayout.None, out _));
        reset[^2] = 0;
        reset[^1] = 10; // WKc shorter than a tag and a key
        Assert.False(OpenVpnControlPacket.TryParse(reset, OpenVpnLayout.TlsCrypt, out p));
        Assert.Equal(default, p);
    }

    [Fact]
    public void TryParse_Ack_CarriesNothingAfterTheRemoteSessionId()
    {
        Assert.True(OpenVpnControlPacket.TryParse(Bytes(PlainAck), OpenVpnLayout.None, out OpenVpnControlPacket p));
        Assert.Equal(OpenVpnOpcode.AckV1, p.Opcode);
        Assert.False(p.HasMessageId);
        Assert.False(OpenVpnControlPacket.TryParse(Bytes(PlainAck + "00"), OpenVpnLayout.None, out p));
        Assert.Equal(default, p);
    }

    [Theory]
    [InlineData(DataV2)]
    [InlineData("40" + "9421917de7267729" + "09")] // more than 8 acks
    public void TryParse_Invalid_FailsWithEveryFieldDefault(string hex)
    {
        Assert.False(OpenVpnControlPacket.TryParse(Bytes(hex), OpenVpnLayout.None, out OpenVpnControlPacket p));
        Assert.Equal(default, p);
    }

    [Fact]
    public void TryParse_EveryTruncationUnderEveryLayout_NeverThrows()
    {
        OpenVpnLayout[] layouts = [OpenVpnLayout.None, OpenVpnLayout.TlsAuth(20), OpenVpnLayout.TlsAuth(64), OpenVpnLayout.TlsCrypt, default];
        foreach (string hex in All)
        {
            byte[] full = Bytes(hex);
            foreach (OpenVpnLayout layout in layouts)
            {
                for (int n = 0; n <= full.Length; n++)
                {
                    if (!OpenVpnControlPacket.TryParse(full.AsSpan(0, n), layout, out OpenVpnControlPacket p))
                    {
                        Assert.Equal(default, p);
                    }

                    if (!OpenVpnControlPacket.TryParse(full.AsSpan(0, n), full.Length, layout, out p))
                    {
                        Assert.Equal(default, p);
                    }
                }
            }
        }
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var random = new Random(443);
        byte[] buffer = new byte[200];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(buffer);
            int n = random.Next(0, buffer.Length);
            var layout = new OpenVpnLayout((OpenVpnWrapping)random.Next(0, 4), (byte)(random.Next(4, 17) * 4));
            _ = OpenVpnControlPacket.TryParse(buffer.AsSpan(0, n), random.Next(n, 400), layout, out _);
        }
    }
}
