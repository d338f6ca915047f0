using TrafficSentinel.Engine.Protocols.OpenVpn;
using static TrafficSentinel.Engine.Tests.Protocols.OpenVpn.OpenVpnSamples;

namespace TrafficSentinel.Engine.Tests.Protocols.OpenVpn;

public class OpenVpnDataPacketTests
{
    [Fact]
    public void TryParse_DataV2_ReadsPeerIdAndPacketId()
    {
        Assert.True(OpenVpnDataPacket.TryParse(Bytes(DataV2), out OpenVpnDataPacket p));
        Assert.Equal(OpenVpnOpcode.DataV2, p.Opcode);
        Assert.Equal(0u, p.PeerId);
        Assert.Equal(9u, p.PacketId);
        Assert.Equal(0x48000000u, p.Header);
    }

    [Fact]
    public void TryParse_DataV1_ReadsThePacketIdAfterTheOpcode()
    {
        // 31 = P_DATA_V1 key 1 · 00000007 packet-id · 16-byte tag · 1 byte
        Assert.True(OpenVpnDataPacket.TryParse(Bytes("31" + "00000007" + new string('e', 32) + "00"), out OpenVpnDataPacket p));
        Assert.Equal(OpenVpnOpcode.DataV1, p.Opcode);
        Assert.Equal(1, p.KeyId);
        Assert.Equal(7u, p.PacketId);
    }

    [Theory]
    [InlineData(PlainClientReset)]
    [InlineData("48000000000000090000")] // shorter than header + packet-id + tag
    public void TryParse_NotData_Fails(string hex)
    {
        Assert.False(OpenVpnDataPacket.TryParse(Bytes(hex), out OpenVpnDataPacket p));
        Assert.Equal(default, p);
    }

    [Fact]
    public void TryParse_EveryTruncation_NeverThrows()
    {
        foreach (string hex in All)
        {
            byte[] full = Bytes(hex);
            for (int n = 0; n <= full.Length; n++)
            {
                if (!OpenVpnDataPacket.TryParse(full.AsSpan(0, n), out OpenVpnDataPacket p))
                {
                    Assert.Equal(default, p);
                }

                _ = OpenVpnDataPacket.TryParse(full.AsSpan(0, n), full.Length, out _);
            }
        }
    }
}
