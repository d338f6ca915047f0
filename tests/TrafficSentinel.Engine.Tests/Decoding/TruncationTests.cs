using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Engine.Tests.Decoding;

/// <summary>
/// Every truncation of every valid packet, on every link type: the decoder returns a status, never
/// throws, and whatever it reports as payload lies inside the bytes it was given.
/// </summary>
public class TruncationTests
{
    public static TheoryData<string, int, byte[]> ValidFrames()
    {
        var data = new TheoryData<string, int, byte[]>();
        foreach (object[] row in PacketDecoderTests.EveryLinkType())
        {
            data.Add((string)row[0], (int)row[1], (byte[])row[2]);
        }

        byte[] tcp4 = TestPackets.Ipv4Tcp("192.0.2.1", 1, "192.0.2.2", 2, new byte[30]);
        byte[] tcp6 = TestPackets.Ipv6Tcp("2001:db8::1", 1, "2001:db8::2", 2, new byte[30]);
        data.Add("ethernet tcp4", LinkType.Ethernet, TestPackets.Ethernet(tcp4));
        data.Add("vlan tcp6", LinkType.Ethernet, TestPackets.EthernetVlan(tcp6, (0x8100, 9)));
        data.Add("sll2 tcp6", LinkType.LinuxSll2, TestPackets.Sll2(tcp6));
        return data;
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void TryDecode_EveryTruncation_NeverThrowsAndStaysInBounds(string name, int linkType, byte[] frame)
    {
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(linkType, frame, out _));
        for (int length = 0; length < frame.Length; length++)
        {
            // A fresh array of exactly this length: reading past it would throw.
            byte[] cut = frame.AsSpan(0, length).ToArray();
            DecodeStatus status = PacketDecoder.TryDecode(linkType, cut, out PacketInfo info);
            if (status == DecodeStatus.Ok)
            {
                Assert.True(info.IsSnapTruncated, $"{name} cut at {length} decoded as whole");
                Assert.InRange(info.PayloadOffset, 0, length);
                Assert.InRange(info.PayloadOffset + info.PayloadLength, 0, length);
            }
            else
            {
                Assert.True(status.IsMalformed(), $"{name} cut at {length}: {status}");
            }
        }
    }

    [Fact]
    public void TryDecode_RandomBytes_NeverThrow()
    {
        var random = new Random(1234);
        int[] linkTypes = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.Null, LinkType.Loop, LinkType.Ipv4, LinkType.Ipv6];
        byte[] buffer = new byte[128];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            int length = random.Next(buffer.Length + 1);
            byte[] frame = buffer.AsSpan(0, length).ToArray();
            DecodeStatus status = PacketDecoder.TryDecode(linkTypes[i % linkTypes.Length], frame, out PacketInfo info);
            if (status == DecodeStatus.Ok)
            {
                Assert.InRange(info.PayloadOffset + info.PayloadLength, 0, length);
            }
        }
    }
}
