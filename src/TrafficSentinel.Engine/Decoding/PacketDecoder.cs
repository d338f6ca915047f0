using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace TrafficSentinel.Engine.Decoding;

/// <summary>
/// Walks link, IP and transport headers of one frame without allocating. Every length is checked
/// against the bytes present before it is used; malformed input returns a status, never throws, and
/// never reads past the end of the span.
/// </summary>
public static class PacketDecoder
{
    private const int EthernetHeaderLength = 14;
    private const int SllHeaderLength = 16;
    private const int Sll2HeaderLength = 20;
    private const int NullHeaderLength = 4;
    private const int Ipv4MinHeaderLength = 20;
    private const int Ipv6HeaderLength = 40;
    private const int TcpMinHeaderLength = 20;
    private const int UdpHeaderLength = 8;
    private const int MaxIpv6ExtensionHeaders = 8;
    private const int MaxLinkTags = 8;

    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const ushort EtherTypeQinQOld = 0x9100;
    private const ushort EtherTypeMplsUnicast = 0x8847;
    private const ushort EtherTypeMplsMulticast = 0x8848;
    private const ushort EtherTypePppoeSession = 0x8864;
    private const ushort PppIpv4 = 0x0021;
    private const ushort PppIpv6 = 0x0057;

    /// <summary>Decodes <paramref name="frame"/> captured on a link of type <paramref name="linkType"/> (a DLT value).</summary>
    public static DecodeStatus TryDecode(int linkType, ReadOnlySpan<byte> frame, out PacketInfo info)
    {
        info = default;
        int offset;
        ushort etherType;
        switch (linkType)
        {
            case LinkType.Ethernet:
                if (frame.Length < EthernetHeaderLength)
                {
                    return DecodeStatus.TruncatedLinkHeader;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12));
                offset = EthernetHeaderLength;
                break;
            case LinkType.LinuxSll:
                if (frame.Length < SllHeaderLength)
                {
                    return DecodeStatus.TruncatedLinkHeader;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(14));
                offset = SllHeaderLength;
                break;
            case LinkType.LinuxSll2:
                if (frame.Length < Sll2HeaderLength)
                {
                    return DecodeStatus.TruncatedLinkHeader;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame);
                offset = Sll2HeaderLength;
                break;
            case LinkType.RawLinux:
            case LinkType.RawOpenBsd:
            case LinkType.Raw:
                return DecodeIpByVersion(frame, 0, ref info);
            case LinkType.Ipv4:
                return DecodeIpv4(frame, 0, ref info);
            case LinkType.Ipv6:
                return DecodeIpv6(frame, 0, ref info);
            case LinkType.Null:
            case LinkType.Loop:
                return DecodeNull(linkType, frame, ref info);
            default:
                return DecodeStatus.SkippedUnsupportedLinkType;
        }

        return DecodeEtherType(frame, offset, etherType, ref info);
    }

    private static DecodeStatus DecodeEtherType(ReadOnlySpan<byte> frame, int offset, ushort etherType, ref PacketInfo info)
    {
        // VLAN stacks (802.1Q, 802.1ad, the pre-standard 0x9100), MPLS label stacks and PPPoE sessions
        // sit between the link header and IP; walk a bounded number of them.
        for (int tags = 0; tags < MaxLinkTags; tags++)
        {
            switch (etherType)
            {
                case EtherTypeIpv4:
                    return DecodeIpv4(frame, offset, ref info);
                case EtherTypeIpv6:
                    return DecodeIpv6(frame, offset, ref info);
                case EtherTypeVlan:
                case EtherTypeQinQ:
                case EtherTypeQinQOld:
                    if (frame.Length - offset < 4)
                    {
                        return DecodeStatus.TruncatedVlanTag;
                    }

                    if (info.VlanId == 0)
                    {
                        info.VlanId = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset)) & 0x0FFF);
                    }

                    etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
                    offset += 4;
                    break;
                case EtherTypeMplsUnicast:
                case EtherTypeMplsMulticast:
                    // RFC 3032: 4-byte label entries until the bottom-of-stack bit; the payload's
                    // first nibble tells IPv4 from IPv6.
                    if (frame.Length - offset < 4)
                    {
                        return DecodeStatus.TruncatedVlanTag;
                    }

                    bool bottom = (frame[offset + 2] & 0x01) != 0;
                    offset += 4;
                    if (bottom)
                    {
                        return DecodeIpByVersion(frame, offset, ref info);
                    }

                    break;
                case EtherTypePppoeSession:
                    // RFC 2516: 6-byte PPPoE header, then the 2-byte PPP protocol.
                    if (frame.Length - offset < 8)
                    {
                        return DecodeStatus.TruncatedVlanTag;
                    }

                    ushort ppp = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 6));
                    offset += 8;
                    if (ppp == PppIpv4)
                    {
                        return DecodeIpv4(frame, offset, ref info);
                    }

                    return ppp == PppIpv6 ? DecodeIpv6(frame, offset, ref info) : DecodeStatus.SkippedNotIp;
                default:
                    return DecodeStatus.SkippedNotIp;
            }
        }

        return DecodeStatus.SkippedNotIp;
    }

    private static DecodeStatus DecodeNull(int linkType, ReadOnlySpan<byte> frame, ref PacketInfo info)
    {
        if (frame.Length < NullHeaderLength)
        {
            return DecodeStatus.TruncatedLinkHeader;
        }

        // DLT_NULL stores the address family in the capturing host's byte order, DLT_LOOP in network
        // order. AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD),
        // 30 (macOS). Take whichever byte order gives a small value.
        uint family = linkType == LinkType.Loop
            ? BinaryPrimitives.ReadUInt32BigEndian(frame)
            : BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (family > 0xFFFF)
        {
            family = BinaryPrimitives.ReverseEndianness(family);
        }

        return family switch
        {
            2 => DecodeIpv4(frame, NullHeaderLength, ref info),
            10 or 24 or 28 or 30 => DecodeIpv6(frame, NullHeaderLength, ref info),
            _ => DecodeStatus.SkippedNotIp,
        };
    }

    private static DecodeStatus DecodeIpByVersion(ReadOnlySpan<byte> frame, int offset, ref PacketInfo info)
    {
        if ((uint)offset >= (uint)frame.Length)
        {
            return DecodeStatus.TruncatedIpHeader;
        }

        return (frame[offset] >> 4) switch
        {
            4 => DecodeIpv4(frame, offset, ref info),
            6 => DecodeIpv6(frame, offset, ref info),
            _ => DecodeStatus.BadIpVersion,
        };
    }

    private static DecodeStatus DecodeIpv4(ReadOnlySpan<byte> frame, int offset, ref PacketInfo info)
    {
        ReadOnlySpan<byte> ip = frame.Slice(offset);
        if (ip.Length < Ipv4MinHeaderLength)
        {
            return DecodeStatus.TruncatedIpHeader;
        }

        if ((ip[0] >> 4) != 4)
        {
            return DecodeStatus.BadIpVersion;
        }

        int headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < Ipv4MinHeaderLength)
        {
            return DecodeStatus.BadIpv4HeaderLength;
        }

        if (ip.Length < headerLength)
        {
            return DecodeStatus.TruncatedIpHeader;
        }

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));
        if (totalLength < headerLength)
        {
            // TCP segmentation offload on the capturing host writes 0 here; fall back to what we have.
            if (totalLength != 0)
            {
                return DecodeStatus.BadIpTotalLength;
            }

            totalLength = ip.Length;
        }

        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6));
        int fragmentOffset = fragment & 0x1FFF;
        bool moreFragments = (fragment & 0x2000) != 0;

        info.IpVersion = 4;
        info.NetworkOffset = offset;
        info.Ttl = ip[8];
        info.Protocol = ip[9];
        info.Source = IpAddr.FromV4(ip.Slice(12));
        info.Destination = IpAddr.FromV4(ip.Slice(16));
        info.IpLength = totalLength;

        if (fragmentOffset != 0)
        {
            return DecodeStatus.SkippedLaterFragment;
        }

        info.IsFirstFragment = moreFragments;

        // Trim Ethernet padding; note snaplen truncation.
        int end = totalLength;
        if (end > ip.Length)
        {
            info.IsSnapTruncated = true;
            end = ip.Length;
        }

        return DecodeTransport(frame, offset + headerLength, offset + end, ref info);
    }

    private static DecodeStatus DecodeIpv6(ReadOnlySpan<byte> frame, int offset, ref PacketInfo info)
    {
        ReadOnlySpan<byte> ip = frame.Slice(offset);
        if (ip.Length < Ipv6HeaderLength)
        {
            return DecodeStatus.TruncatedIpHeader;
        }

        if ((ip[0] >> 4) != 6)
        {
            return DecodeStatus.BadIpVersion;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(4));
        info.IpVersion = 6;
        info.NetworkOffset = offset;
        info.Ttl = ip[7];
        info.Source = IpAddr.FromV6(ip.Slice(8));
        info.Destination = IpAddr.FromV6(ip.Slice(24));

        // A zero payload length means a jumbogram (RFC 2675) or segmentation offload: use what is present.
        int totalLength = payloadLength == 0 ? ip.Length : Ipv6HeaderLength + payloadLength;
        info.IpLength = totalLength;
        int end = totalLength;
        if (end > ip.Length)
        {
            info.IsSnapTruncated = true;
            end = ip.Length;
        }

        // RFC 8200 §4: walk the extension header chain to the upper-layer header.
        byte next = ip[6];
        int cursor = Ipv6HeaderLength;
        for (int i = 0; ; i++)
        {
            switch (next)
            {
                case IpProtocol.HopByHop:
                case IpProtocol.Ipv6Routing:
                case IpProtocol.Ipv6DestinationOptions:
                case IpProtocol.Ipv6Mobility:
                case IpProtocol.Hip:
                case IpProtocol.Shim6:
                    if (end - cursor < 8)
                    {
                        return DecodeStatus.TruncatedIpv6ExtensionHeader;
                    }

                    int length = (ip[cursor + 1] + 1) * 8;
                    if (end - cursor < length)
                    {
                        return DecodeStatus.TruncatedIpv6ExtensionHeader;
                    }

                    next = ip[cursor];
                    cursor += length;
                    break;
                case IpProtocol.Ipv6Fragment:
                    if (end - cursor < 8)
                    {
                        return DecodeStatus.TruncatedIpv6ExtensionHeader;
                    }

                    ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(cursor + 2));
                    next = ip[cursor];
                    cursor += 8;
                    if ((fragment & 0xFFF8) != 0)
                    {
                        info.Protocol = next;
                        return DecodeStatus.SkippedLaterFragment;
                    }

                    info.IsFirstFragment = (fragment & 0x0001) != 0;
                    break;
                default:
                    // The upper layer, or AH/ESP/no-next-header, which end the chain for flow purposes.
                    info.Protocol = next;
                    return DecodeTransport(frame, offset + cursor, offset + end, ref info);
            }

            if (i + 1 >= MaxIpv6ExtensionHeaders)
            {
                return DecodeStatus.TooManyIpv6ExtensionHeaders;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DecodeStatus DecodeTransport(ReadOnlySpan<byte> frame, int transportOffset, int end, ref PacketInfo info)
    {
        info.TransportOffset = transportOffset;
        ReadOnlySpan<byte> l4 = frame.Slice(transportOffset, end - transportOffset);
        switch (info.Protocol)
        {
            case IpProtocol.Tcp:
                {
                    if (l4.Length < TcpMinHeaderLength)
                    {
                        return DecodeStatus.TruncatedTransportHeader;
                    }

                    int dataOffset = (l4[12] >> 4) * 4;
                    if (dataOffset < TcpMinHeaderLength)
                    {
                        return DecodeStatus.BadTcpDataOffset;
                    }

                    if (dataOffset > l4.Length)
                    {
                        return info.IsSnapTruncated ? DecodeStatus.TruncatedTransportHeader : DecodeStatus.BadTcpDataOffset;
                    }

                    info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                    info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
                    info.TcpSequence = BinaryPrimitives.ReadUInt32BigEndian(l4.Slice(4));
                    info.TcpAcknowledgement = BinaryPrimitives.ReadUInt32BigEndian(l4.Slice(8));
                    info.TcpFlags = (TcpFlags)l4[13];
                    info.TcpWindow = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(14));
                    info.PayloadOffset = transportOffset + dataOffset;
                    info.PayloadLength = l4.Length - dataOffset;
                    return DecodeStatus.Ok;
                }

            case IpProtocol.Udp:
                {
                    if (l4.Length < UdpHeaderLength)
                    {
                        return DecodeStatus.TruncatedTransportHeader;
                    }

                    int udpLength = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(4));
                    int payloadLength = l4.Length - UdpHeaderLength;
                    if (udpLength != 0)
                    {
                        // 0 is legal over IPv6 jumbograms; otherwise the length must cover the header.
                        if (udpLength < UdpHeaderLength)
                        {
                            return DecodeStatus.BadUdpLength;
                        }

                        if (udpLength - UdpHeaderLength < payloadLength)
                        {
                            payloadLength = udpLength - UdpHeaderLength;
                        }
                        else if (udpLength > l4.Length && !info.IsSnapTruncated)
                        {
                            return DecodeStatus.BadUdpLength;
                        }
                    }

                    info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                    info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
                    info.PayloadOffset = transportOffset + UdpHeaderLength;
                    info.PayloadLength = payloadLength;
                    return DecodeStatus.Ok;
                }

            case IpProtocol.Sctp:
                if (l4.Length < 12)
                {
                    return DecodeStatus.TruncatedTransportHeader;
                }

                info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
                info.PayloadOffset = transportOffset + 12;
                info.PayloadLength = l4.Length - 12;
                return DecodeStatus.Ok;

            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                if (l4.Length < 4)
                {
                    return DecodeStatus.TruncatedTransportHeader;
                }

                info.IcmpType = l4[0];
                info.IcmpCode = l4[1];
                info.PayloadOffset = transportOffset + 4;
                info.PayloadLength = l4.Length - 4;
                return DecodeStatus.Ok;

            default:
                // GRE, ESP, AH and the rest: no ports; the payload is the IP payload.
                info.PayloadOffset = transportOffset;
                info.PayloadLength = l4.Length;
                return DecodeStatus.Ok;
        }
    }
}
