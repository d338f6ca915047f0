using System.Net;

namespace TrafficSentinel.Alerts;

/// <summary>
/// One detection on one flow, as handed to the sinks. Cold path: alerts are rare compared with
/// packets, so this is an ordinary class and allocating it is fine.
/// </summary>
public sealed class Alert
{
    /// <summary>Time of the packet that triggered the alert, in microseconds since the Unix epoch (UTC).</summary>
    public required long TimestampMicros { get; init; }

    /// <summary>The engine's flow identifier; written as EVE <c>flow_id</c>.</summary>
    public required ulong FlowId { get; init; }

    /// <summary>The flow's endpoints; the client is the side that sent the first packet.</summary>
    public required FlowEndpoints Flow { get; init; }

    /// <summary>Community ID v1 of the flow (see <see cref="Alerts.CommunityId"/>).</summary>
    public required string CommunityId { get; init; }

    /// <summary>What was detected, how, and how sure we are.</summary>
    public required Detection Detection { get; init; }

    /// <summary>Flow counters at the moment of the alert.</summary>
    public required FlowCounters Counters { get; init; }

    /// <summary>For replays: the capture file the triggering packet came from.</summary>
    public string? PcapFileName { get; init; }

    /// <summary>For replays: the 1-based number of the triggering packet in <see cref="PcapFileName"/>.</summary>
    public long? PcapPacketNumber { get; init; }

    /// <summary>The outermost 802.1Q VLAN ID of the flow, when it had one.</summary>
    public ushort? VlanId { get; init; }

    /// <summary>The sensor's name, when configured; written as EVE <c>host</c>.</summary>
    public string? SensorName { get; init; }

    /// <summary>
    /// Builds an alert and computes its Community ID from <paramref name="flow"/> (seed 0).
    /// </summary>
    public static Alert Create(
        long timestampMicros,
        ulong flowId,
        FlowEndpoints flow,
        Detection detection,
        FlowCounters counters,
        string? pcapFileName = null,
        long? pcapPacketNumber = null,
        ushort? vlanId = null,
        string? sensorName = null) => new()
        {
            TimestampMicros = timestampMicros,
            FlowId = flowId,
            Flow = flow,
            CommunityId = Alerts.CommunityId.Compute(flow),
            Detection = detection,
            Counters = counters,
            PcapFileName = pcapFileName,
            PcapPacketNumber = pcapPacketNumber,
            VlanId = vlanId,
            SensorName = sensorName,
        };
}

/// <summary>
/// A flow's 5-tuple, oriented client → server. For ICMP and ICMPv6 the ports carry the ICMP type
/// (<see cref="ClientPort"/>) and code (<see cref="ServerPort"/>) of the first packet, as Community ID
/// takes them; for protocols without ports (GRE, ESP, AH, …) both ports are 0.
/// </summary>
public readonly record struct FlowEndpoints(
    IPAddress ClientIp,
    ushort ClientPort,
    IPAddress ServerIp,
    ushort ServerPort,
    byte IpProtocol)
{
    /// <summary>True when the protocol has real ports (TCP, UDP, SCTP).</summary>
    public bool HasPorts => IpProtocols.HasPorts(IpProtocol);

    /// <summary>True for ICMP and ICMPv6, whose "ports" are type and code.</summary>
    public bool IsIcmp => IpProtocol is IpProtocols.Icmp or IpProtocols.IcmpV6;
}

/// <summary>
/// What was detected.
/// </summary>
/// <param name="Protocol">Class name as in the <c>truth</c> column of the labelled corpus:
/// openvpn, wireguard, tor, ipsec, pptp, shadowsocks, softether, anyconnect, psiphon, ultrasurf, other-vpn, …</param>
/// <param name="Category">vpn, anonymizer, proxy, …</param>
/// <param name="Method">signature, heuristic or ml.</param>
/// <param name="Confidence">0 to 1.</param>
/// <param name="Evidence">A short human-readable reason.</param>
public sealed record Detection(string Protocol, string Category, string Method, double Confidence, string Evidence)
{
    public string Protocol { get; init; } = !string.IsNullOrWhiteSpace(Protocol)
        ? Protocol
        : throw new ArgumentException("A detection needs a protocol name.", nameof(Protocol));

    public string Category { get; init; } = !string.IsNullOrWhiteSpace(Category)
        ? Category
        : throw new ArgumentException("A detection needs a category.", nameof(Category));

    public string Method { get; init; } = !string.IsNullOrWhiteSpace(Method)
        ? Method
        : throw new ArgumentException("A detection needs a method.", nameof(Method));

    public double Confidence { get; init; } = Confidence is >= 0.0 and <= 1.0
        ? Confidence
        : throw new ArgumentOutOfRangeException(nameof(Confidence), Confidence, "Confidence must be between 0 and 1.");

    public string Evidence { get; init; } = Evidence ?? string.Empty;
}

/// <summary>
/// Flow counters at the time of an alert, in Suricata's terms: "to server" is client → server.
/// </summary>
public readonly record struct FlowCounters(
    long PacketsToServer,
    long PacketsToClient,
    long BytesToServer,
    long BytesToClient,
    long StartMicros);
