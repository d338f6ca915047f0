namespace TrafficSentinel.Engine.Decoding;

/// <summary>
/// The outcome of decoding one frame. <see cref="Ok"/> means an IP packet whose transport header (if
/// any) was read. The <c>Skipped…</c> values are well-formed traffic the flow table does not track;
/// everything else is malformed input, counted by reason and never thrown.
/// </summary>
public enum DecodeStatus : byte
{
    Ok = 0,

    // Not malformed: traffic we do not track.
    SkippedUnsupportedLinkType,
    SkippedNotIp,
    SkippedLaterFragment,

    // Malformed or truncated.
    TruncatedLinkHeader,
    TruncatedVlanTag,
    TruncatedIpHeader,
    BadIpVersion,
    BadIpv4HeaderLength,
    BadIpTotalLength,
    TruncatedIpv6ExtensionHeader,
    TooManyIpv6ExtensionHeaders,
    TruncatedTransportHeader,
    BadTcpDataOffset,
    BadUdpLength,
}

public static class DecodeStatusExtensions
{
    /// <summary>The number of <see cref="DecodeStatus"/> values; sizes counter arrays.</summary>
    public const int Count = (int)DecodeStatus.BadUdpLength + 1;

    public static bool IsMalformed(this DecodeStatus status) => status >= DecodeStatus.TruncatedLinkHeader;

    public static string ToReason(this DecodeStatus status) => status switch
    {
        DecodeStatus.Ok => "ok",
        DecodeStatus.SkippedUnsupportedLinkType => "unsupported link type",
        DecodeStatus.SkippedNotIp => "not IP (ARP, LLC, ...)",
        DecodeStatus.SkippedLaterFragment => "IP fragment after the first",
        DecodeStatus.TruncatedLinkHeader => "truncated link header",
        DecodeStatus.TruncatedVlanTag => "truncated VLAN/MPLS/PPPoE header",
        DecodeStatus.TruncatedIpHeader => "truncated IP header",
        DecodeStatus.BadIpVersion => "bad IP version",
        DecodeStatus.BadIpv4HeaderLength => "bad IPv4 header length",
        DecodeStatus.BadIpTotalLength => "bad IP total length",
        DecodeStatus.TruncatedIpv6ExtensionHeader => "truncated IPv6 extension header",
        DecodeStatus.TooManyIpv6ExtensionHeaders => "too many IPv6 extension headers",
        DecodeStatus.TruncatedTransportHeader => "truncated TCP/UDP header",
        DecodeStatus.BadTcpDataOffset => "bad TCP data offset",
        DecodeStatus.BadUdpLength => "bad UDP length",
        _ => "unknown",
    };
}
