using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace TrafficSentinel.Alerts;

/// <summary>
/// Community ID v1 flow hashing (corelight/community-id-spec): a SHA-1 over the seed, the ordered
/// endpoint addresses, the protocol, a zero pad byte and (for TCP, UDP, SCTP, ICMP and ICMPv6) the
/// ordered ports, base64-encoded behind a <c>1:</c> version prefix.
/// </summary>
/// <remarks>
/// For ICMP and ICMPv6, pass the ICMP type as <c>srcPort</c> and the code as <c>dstPort</c>. The
/// type is mapped to its request/reply counterpart (echo 8↔0, …), which then plays the role of the
/// destination port and lets both directions hash alike; types without a counterpart keep the code
/// and are "one-way": their endpoints are never swapped. Passing Zeek's conn-log ports (type and
/// counterpart) gives the same result.
/// </remarks>
public static class CommunityId
{
    private const int MaxInputLength = 2 + 16 + 16 + 1 + 1 + 2 + 2;

    /// <summary>Community ID of a flow given in client → server orientation.</summary>
    public static string Compute(in FlowEndpoints flow, ushort seed = 0) =>
        Compute(flow.ClientIp, flow.ServerIp, flow.ClientPort, flow.ServerPort, flow.IpProtocol, seed);

    /// <summary>Community ID v1 of one packet's (or flow's) tuple; the result is the same both ways.</summary>
    /// <exception cref="ArgumentException">The two addresses are of different families, or not IP.</exception>
    public static string Compute(IPAddress src, IPAddress dst, ushort srcPort, ushort dstPort, byte proto, ushort seed = 0)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        if (src.AddressFamily != dst.AddressFamily)
        {
            throw new ArgumentException($"Addresses of different families: {src} and {dst}.", nameof(dst));
        }

        if (src.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Not an IP address: {src}.", nameof(src));
        }

        int addressLength = src.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        Span<byte> srcBytes = stackalloc byte[16];
        Span<byte> dstBytes = stackalloc byte[16];
        src.TryWriteBytes(srcBytes, out _);
        dst.TryWriteBytes(dstBytes, out _);
        srcBytes = srcBytes[..addressLength];
        dstBytes = dstBytes[..addressLength];

        bool hasPorts = true;
        bool oneWay = false;
        switch (proto)
        {
            case IpProtocols.Icmp:
                (srcPort, dstPort, oneWay) = MapIcmpV4(srcPort, dstPort);
                break;
            case IpProtocols.IcmpV6:
                (srcPort, dstPort, oneWay) = MapIcmpV6(srcPort, dstPort);
                break;
            case IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp:
                break;
            default:
                hasPorts = false;
                srcPort = 0;
                dstPort = 0;
                break;
        }

        int order = srcBytes.SequenceCompareTo(dstBytes);
        bool keep = oneWay || order < 0 || (order == 0 && srcPort < dstPort);
        if (!keep)
        {
            Span<byte> swap = srcBytes;
            srcBytes = dstBytes;
            dstBytes = swap;
            (srcPort, dstPort) = (dstPort, srcPort);
        }

        Span<byte> input = stackalloc byte[MaxInputLength];
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        int offset = 2;
        srcBytes.CopyTo(input[offset..]);
        offset += addressLength;
        dstBytes.CopyTo(input[offset..]);
        offset += addressLength;
        input[offset++] = proto;
        input[offset++] = 0;
        if (hasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(input[offset..], srcPort);
            BinaryPrimitives.WriteUInt16BigEndian(input[(offset + 2)..], dstPort);
            offset += 4;
        }

        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what the Community ID v1 specification prescribes; it is an identifier, not a security control.
        SHA1.HashData(input[..offset], digest);
#pragma warning restore CA5350
        return "1:" + Convert.ToBase64String(digest);
    }

    /// <summary>ICMPv4 type → (port, counterpart port, one-way), after Zeek's ICMP4_counterpart.</summary>
    internal static (ushort Src, ushort Dst, bool OneWay) MapIcmpV4(ushort type, ushort code) => type switch
    {
        8 => (8, 0, false),    // echo request → echo reply
        0 => (0, 8, false),
        13 => (13, 14, false), // timestamp
        14 => (14, 13, false),
        15 => (15, 16, false), // information
        16 => (16, 15, false),
        10 => (10, 9, false),  // router solicitation → advertisement (not the other way round)
        17 => (17, 18, false), // address mask
        18 => (18, 17, false),
        _ => (type, code, true),
    };

    /// <summary>ICMPv6 type → (port, counterpart port, one-way), after Zeek's ICMP6_counterpart.</summary>
    internal static (ushort Src, ushort Dst, bool OneWay) MapIcmpV6(ushort type, ushort code) => type switch
    {
        128 => (128, 129, false), // echo
        129 => (129, 128, false),
        133 => (133, 134, false), // router solicitation / advertisement
        134 => (134, 133, false),
        135 => (135, 136, false), // neighbour solicitation / advertisement
        136 => (136, 135, false),
        130 => (130, 131, false), // multicast listener query / report
        131 => (131, 130, false),
        139 => (139, 140, false), // node information query / reply
        140 => (140, 139, false),
        144 => (144, 145, false), // home agent address discovery
        145 => (145, 144, false),
        _ => (type, code, true),
    };
}
