using System.Buffers.Binary;
using System.Net;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Engine.Tests.Decoding;

public class PacketDecoderTests
{
    private static readonly byte[] s_payload = "hello, sensor"u8.ToArray();

    public static TheoryData<string, int, byte[]> EveryLinkType()
    {
        byte[] v4 = TestPackets.Ipv4Udp("192.0.2.1", 40000, "198.51.100.7", 1194, s_payload);
        byte[] v6 = TestPackets.Ipv6Udp("2001:db8::1", 40000, "2001:db8::7", 1194, s_payload);
        return new TheoryData<string, int, byte[]>
        {
            { "ethernet v4", LinkType.Ethernet, TestPackets.Ethernet(v4) },
            { "ethernet v6", LinkType.Ethernet, TestPackets.Ethernet(v6) },
            { "802.1Q", LinkType.Ethernet, TestPackets.EthernetVlan(v4, (0x8100, 42)) },
            { "802.1ad + 802.1Q", LinkType.Ethernet, TestPackets.EthernetVlan(v6, (0x88A8, 42), (0x8100, 7)) },
            { "0x9100 + 802.1Q", LinkType.Ethernet, TestPackets.EthernetVlan(v4, (0x9100, 42), (0x8100, 7)) },
            { "sll v4", LinkType.LinuxSll, TestPackets.Sll(v4) },
            { "sll v6", LinkType.LinuxSll, TestPackets.Sll(v6) },
            { "sll2 v4", LinkType.LinuxSll2, TestPackets.Sll2(v4) },
            { "sll2 v6", LinkType.LinuxSll2, TestPackets.Sll2(v6) },
            { "raw 12", LinkType.RawLinux, v4 },
            { "raw 14", LinkType.RawOpenBsd, v6 },
            { "raw 101", LinkType.Raw, v4 },
            { "ipv4 228", LinkType.Ipv4, v4 },
            { "ipv6 229", LinkType.Ipv6, v6 },
            { "null AF_INET LE", LinkType.Null, TestPackets.Null(v4, 2, bigEndian: false) },
            { "null AF_INET BE", LinkType.Null, TestPackets.Null(v4, 2, bigEndian: true) },
            { "null AF_INET6 linux", LinkType.Null, TestPackets.Null(v6, 10, bigEndian: false) },
            { "null AF_INET6 bsd", LinkType.Null, TestPackets.Null(v6, 24, bigEndian: false) },
            { "null AF_INET6 freebsd", LinkType.Null, TestPackets.Null(v6, 28, bigEndian: false) },
            { "null AF_INET6 macos", LinkType.Null, TestPackets.Null(v6, 30, bigEndian: false) },
            { "loop AF_INET", LinkType.Loop, TestPackets.Null(v4, 2, bigEndian: true) },
        };
    }

    [Theory]
    [MemberData(nameof(EveryLinkType))]
    public void TryDecode_EverySupportedLinkType_FindsTheUdpPayload(string name, int linkType, byte[] frame)
    {
        DecodeStatus status = PacketDecoder.TryDecode(linkType, frame, out PacketInfo info);

        Assert.True(status == DecodeStatus.Ok, name);
        Assert.Equal(IpProtocol.Udp, info.Protocol);
        Assert.Equal(40000, info.SourcePort);
        Assert.Equal(1194, info.DestinationPort);
        Assert.Equal(s_payload, info.Payload(frame).ToArray());
        Assert.False(info.IsSnapTruncated);
    }

    [Fact]
    public void TryDecode_VlanStack_KeepsTheOutermostVlanId()
    {
        byte[] frame = TestPackets.EthernetVlan(TestPackets.Ipv4Udp("10.0.0.1", 1, "10.0.0.2", 2, s_payload), (0x88A8, 300), (0x8100, 7));

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out PacketInfo info));
        Assert.Equal(300, info.VlanId);
    }

    [Fact]
    public void TryDecode_Ipv4Tcp_ReadsAddressesPortsFlagsAndPayload()
    {
        byte[] frame = TestPackets.Ethernet(TestPackets.Ipv4Tcp("192.0.2.1", 52973, "192.12.192.103", 1194, s_payload, syn: false, ack: true, fin: true));

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out PacketInfo info));
        Assert.Equal(4, info.IpVersion);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), info.Source.ToIPAddress(4));
        Assert.Equal(IPAddress.Parse("192.12.192.103"), info.Destination.ToIPAddress(4));
        Assert.Equal(52973, info.SourcePort);
        Assert.Equal(1194, info.DestinationPort);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Fin, info.TcpFlags);
        Assert.Equal(1000u, info.TcpSequence);
        Assert.Equal(64, info.Ttl);
        Assert.Equal(s_payload, info.Payload(frame).ToArray());
    }

    [Fact]
    public void TryDecode_Ipv6Tcp_ReadsAddresses()
    {
        byte[] frame = TestPackets.Ethernet(TestPackets.Ipv6Tcp("2001:db8::1", 443, "2001:db8::2", 50000, s_payload));

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out PacketInfo info));
        Assert.Equal(6, info.IpVersion);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), info.Source.ToIPAddress(6));
        Assert.Equal(IPAddress.Parse("2001:db8::2"), info.Destination.ToIPAddress(6));
        Assert.Equal(s_payload, info.Payload(frame).ToArray());
    }

    [Fact]
    public void TryDecode_EthernetPadding_IsTrimmedFromThePayload()
    {
        byte[] ip = TestPackets.Ipv4Udp("10.0.0.1", 53, "10.0.0.2", 5353, [1, 2]);
        byte[] frame = [.. TestPackets.Ethernet(ip), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Ethernet, frame, out PacketInfo info));
        Assert.Equal(2, info.PayloadLength);
    }

    [Fact]
    public void TryDecode_Ipv4WithOptions_SkipsTheOptions()
    {
        byte[] ip = TestPackets.Ipv4Udp("10.0.0.1", 1000, "10.0.0.2", 2000, s_payload);
        // Insert 4 bytes of options (NOP NOP NOP EOL) and fix IHL and total length.
        byte[] withOptions = [.. ip.AsSpan(0, 20), 1, 1, 1, 0, .. ip.AsSpan(20)];
        withOptions[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(2), (ushort)withOptions.Length);

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Raw, withOptions, out PacketInfo info));
        Assert.Equal(2000, info.DestinationPort);
        Assert.Equal(s_payload, info.Payload(withOptions).ToArray());
    }

    [Fact]
    public void TryDecode_Ipv4Fragments_FirstIsDecodedLaterAreSkipped()
    {
        byte[] first = TestPackets.Ipv4Udp("10.0.0.1", 1000, "10.0.0.2", 2000, s_payload);
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(6), 0x2000); // MF, offset 0
        byte[] later = (byte[])first.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(later.AsSpan(6), 0x0003); // offset 24 bytes, last

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Raw, first, out PacketInfo info));
        Assert.True(info.IsFirstFragment);
        Assert.Equal(2000, info.DestinationPort);
        Assert.Equal(DecodeStatus.SkippedLaterFragment, PacketDecoder.TryDecode(LinkType.Raw, later, out _));
    }

    [Fact]
    public void TryDecode_Ipv6ExtensionChain_ReachesUdp()
    {
        byte[] ip = TestPackets.Ipv6Udp("2001:db8::1", 4500, "2001:db8::2", 4500, s_payload);
        // Hop-by-hop (8 bytes: next=60, len=0, PadN) then destination options (8 bytes: next=17) before UDP.
        byte[] hopByHop = [60, 0, 1, 4, 0, 0, 0, 0];
        byte[] destOpts = [17, 0, 1, 4, 0, 0, 0, 0];
        byte[] chained = [.. ip.AsSpan(0, 40), .. hopByHop, .. destOpts, .. ip.AsSpan(40)];
        chained[6] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(chained.AsSpan(4), (ushort)(chained.Length - 40));

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Raw, chained, out PacketInfo info));
        Assert.Equal(IpProtocol.Udp, info.Protocol);
        Assert.Equal(4500, info.DestinationPort);
        Assert.Equal(s_payload, info.Payload(chained).ToArray());
    }

    [Fact]
    public void TryDecode_Ipv6FragmentHeader_LaterFragmentSkipped()
    {
        byte[] ip = TestPackets.Ipv6Udp("2001:db8::1", 1, "2001:db8::2", 2, s_payload);
        byte[] fragment = [17, 0, 0, 0x08, 0, 0, 0, 1]; // offset 1 (×8 bytes)
        byte[] chained = [.. ip.AsSpan(0, 40), .. fragment, .. ip.AsSpan(40)];
        chained[6] = 44;
        BinaryPrimitives.WriteUInt16BigEndian(chained.AsSpan(4), (ushort)(chained.Length - 40));

        Assert.Equal(DecodeStatus.SkippedLaterFragment, PacketDecoder.TryDecode(LinkType.Raw, chained, out _));
    }

    [Theory]
    [InlineData(IpProtocol.Gre)]
    [InlineData(IpProtocol.Esp)]
    [InlineData(IpProtocol.Ah)]
    public void TryDecode_PortlessProtocols_RecordTheProtocolAndPayload(byte protocol)
    {
        byte[] ip = TestPackets.Ipv4Udp("10.0.0.1", 1, "10.0.0.2", 2, s_payload);
        ip[9] = protocol;

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Raw, ip, out PacketInfo info));
        Assert.Equal(protocol, info.Protocol);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(ip.Length - 20, info.PayloadLength);
    }

    [Fact]
    public void TryDecode_Icmp_RecordsTypeAndCode()
    {
        byte[] ip = TestPackets.Ipv4Udp("10.0.0.1", 0x0800, "10.0.0.2", 0, s_payload);
        ip[9] = IpProtocol.Icmp;

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Raw, ip, out PacketInfo info));
        Assert.Equal(8, info.IcmpType);
        Assert.Equal(0, info.IcmpCode);
        Assert.Equal(0, info.SourcePort);
    }

    [Fact]
    public void TryDecode_SnapTruncatedPacket_DecodesHeadersAndFlagsTruncation()
    {
        byte[] frame = TestPackets.Ethernet(TestPackets.Ipv4Tcp("10.0.0.1", 1, "10.0.0.2", 2, new byte[1000]));

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.TryDecode(LinkType.Ethernet, frame.AsSpan(0, 96), out PacketInfo info));
        Assert.True(info.IsSnapTruncated);
        Assert.Equal(96 - 14 - 20 - 20, info.PayloadLength);
    }

    [Fact]
    public void TryDecode_ArpAndUnknownLinkTypes_AreSkippedNotMalformed()
    {
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;

        Assert.Equal(DecodeStatus.SkippedNotIp, PacketDecoder.TryDecode(LinkType.Ethernet, arp, out _));
        Assert.Equal(DecodeStatus.SkippedUnsupportedLinkType, PacketDecoder.TryDecode(147, arp, out _));
        Assert.False(DecodeStatus.SkippedNotIp.IsMalformed());
    }

    [Theory]
    [InlineData("bad version", DecodeStatus.BadIpVersion)]
    [InlineData("bad ihl", DecodeStatus.BadIpv4HeaderLength)]
    [InlineData("total < ihl", DecodeStatus.BadIpTotalLength)]
    [InlineData("tcp offset", DecodeStatus.BadTcpDataOffset)]
    [InlineData("udp length", DecodeStatus.BadUdpLength)]
    public void TryDecode_CorruptHeaders_ReturnTheReason(string corruption, DecodeStatus expected)
    {
        byte[] ip = corruption is "tcp offset"
            ? TestPackets.Ipv4Tcp("10.0.0.1", 1, "10.0.0.2", 2, s_payload)
            : TestPackets.Ipv4Udp("10.0.0.1", 1, "10.0.0.2", 2, s_payload);
        switch (corruption)
        {
            case "bad version": ip[0] = 0x55; break;
            case "bad ihl": ip[0] = 0x44; break;
            case "total < ihl": BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), 10); break;
            case "tcp offset": ip[20 + 12] = 0x30; break;
            case "udp length": BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(24), 4); break;
        }

        Assert.Equal(expected, PacketDecoder.TryDecode(LinkType.Raw, ip, out _));
        Assert.True(expected.IsMalformed());
    }

    [Fact]
    public void TryDecode_AllocatesNothing()
    {
        byte[] frame = TestPackets.EthernetVlan(TestPackets.Ipv6Udp("2001:db8::1", 1, "2001:db8::2", 2, s_payload), (0x8100, 5));
        // Warm up with the same loop, so that tiering and on-stack replacement happen before measuring.
        DecodeMany(frame);
        DecodeMany(frame);

        Assert.Equal(0, Allocations.Fewest(() => DecodeMany(frame)));
    }

    private static void DecodeMany(byte[] frame)
    {
        for (int i = 0; i < 10_000; i++)
        {
            PacketDecoder.TryDecode(LinkType.Ethernet, frame, out _);
        }
    }
}
