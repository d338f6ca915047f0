using TrafficSentinel.Engine.Protocols.OpenVpn;
using static TrafficSentinel.Engine.Tests.Protocols.OpenVpn.OpenVpnSamples;

namespace TrafficSentinel.Engine.Tests.Protocols.OpenVpn;

public class OpenVpnLayoutTests
{
    [Theory]
    [InlineData(PlainClientReset, OpenVpnWrapping.None, 0)]
    [InlineData(PlainServerReset, OpenVpnWrapping.None, 0)]
    [InlineData(TlsAuthClientReset, OpenVpnWrapping.TlsAuth, 20)]
    [InlineData(TlsAuthServerReset, OpenVpnWrapping.TlsAuth, 20)]
    [InlineData(TlsCryptClientReset, OpenVpnWrapping.TlsCrypt, 0)]
    [InlineData(TlsCryptServerReset, OpenVpnWrapping.TlsCrypt, 0)]
    [InlineData(TlsCryptV2ClientReset, OpenVpnWrapping.TlsCrypt, 0)]
    public void TryInferFromReset_RealResets_FindTheirLayout(string hex, OpenVpnWrapping wrapping, int hmac)
    {
        Assert.True(OpenVpnLayout.TryInferFromReset(Bytes(hex), out OpenVpnLayout layout));
        Assert.Equal(wrapping, layout.Wrapping);
        Assert.Equal(hmac, layout.HmacSize);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    [InlineData(64)]
    public void TryInferFromReset_AnyHmacSize_IsFoundFromWherePacketIdAndTimeFall(int hmac)
    {
        // A tls-auth client reset with an HMAC of `hmac` bytes of 0xA5.
        byte[] reset = Bytes("38" + "2746a163d38818fc" + string.Concat(Enumerable.Repeat("a5", hmac)) + "00000001" + "6b033c28" + "00" + "00000000");
        Assert.True(OpenVpnLayout.TryInferFromReset(reset, out OpenVpnLayout layout));
        Assert.Equal(OpenVpnLayout.TlsAuth(hmac), layout);
    }

    [Theory]
    [InlineData(DataV2)]
    [InlineData(PlainAck)]
    [InlineData("38" + "39fded2daa10a437" + "00" + "00000001")] // message packet-id of a reset must be 0
    [InlineData("38" + "39fded2daa10a437" + "01" + "00000000" + "9421917de7267729" + "00000000")] // a client reset acks nothing
    [InlineData("16030100dd010000d9030150f473e8")] // TLS ClientHello
    public void TryInferFromReset_NotAReset_Fails(string hex)
    {
        Assert.False(OpenVpnLayout.TryInferFromReset(Bytes(hex), out OpenVpnLayout layout));
        Assert.Equal(default, layout);
    }

    [Fact]
    public void TryInferFromReset_V3WithoutWellFormedWrappedKey_Fails()
    {
        byte[] reset = Bytes(TlsCryptV2ClientReset);
        reset[^1] = 0xFF; // WKc length now larger than the packet
        Assert.False(OpenVpnLayout.TryInferFromReset(reset, out _));
    }

    [Fact]
    public void TryInferFromReset_EveryTruncation_NeverThrowsAndClearsTheLayoutOnFailure()
    {
        foreach (string hex in All)
        {
            byte[] full = Bytes(hex);
            for (int n = 0; n <= full.Length; n++)
            {
                if (!OpenVpnLayout.TryInferFromReset(full.AsSpan(0, n), out OpenVpnLayout layout))
                {
                    Assert.Equal(default, layout);
                }

                // A prefix of a longer packet (TCP PDU split over segments).
                if (!OpenVpnLayout.TryInferFromReset(full.AsSpan(0, n), full.Length, out layout))
                {
                    Assert.Equal(default, layout);
                }
            }
        }
    }

    [Fact]
    public void TryInferFromReset_RandomBytes_NeverThrows()
    {
        var random = new Random(1194);
        byte[] buffer = new byte[400];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(buffer);
            buffer[0] = (byte)(random.Next(1, 12) << 3);
            int n = random.Next(0, buffer.Length);
            _ = OpenVpnLayout.TryInferFromReset(buffer.AsSpan(0, n), random.Next(n, 2 * buffer.Length), out _);
        }
    }

    [Theory]
    [InlineData(0x00000001u, true)]
    [InlineData(0x0f000001u, true)] // OpenVPN 2.6 EARLY_NEG_START marker
    [InlineData(0x00000000u, false)]
    [InlineData(0x01000001u, false)]
    [InlineData(0x00000100u, false)]
    public void IsResetReplayId_AcceptsFirstIdsWithOrWithoutTheEarlyNegotiationMarker(uint id, bool expected) =>
        Assert.Equal(expected, OpenVpnLayout.IsResetReplayId(id));
}
