using TrafficSentinel.Alerts;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>
/// Turns the engine's detections into alerts for the dispatcher, and counts ended flows. Runs on the
/// packet thread, but only on detections and flow ends, never per packet.
/// </summary>
internal sealed class AlertBridge : IEngineObserver
{
    private readonly AlertDispatcher _dispatcher;
    private readonly string? _sensorName;
    private readonly Dictionary<string, long> _alertsByProtocol = new(StringComparer.Ordinal);
    private readonly long[] _endedByReason = new long[Enum.GetValues<FlowEndReason>().Length];

    public AlertBridge(AlertDispatcher dispatcher, string? sensorName)
    {
        _dispatcher = dispatcher;
        _sensorName = sensorName;
    }

    /// <summary>The capture file being replayed, for <c>pcap_filename</c>; null for live capture.</summary>
    public string? CurrentFile { get; set; }

    public IReadOnlyDictionary<string, long> AlertsByProtocol => _alertsByProtocol;

    public long Alerts { get; private set; }

    public long this[FlowEndReason reason] => _endedByReason[(int)reason];

    public void OnDetection(in DetectionEvent detection)
    {
        ref readonly FlowRecord flow = ref detection.Flow;
        int version = flow.Key.IpVersion;
        bool icmp = flow.Key.Protocol is 1 or 58;
        var endpoints = new FlowEndpoints(
            flow.ClientAddress.ToIPAddress(version),
            icmp ? flow.FirstIcmpType : flow.ClientPort,
            flow.ServerAddress.ToIPAddress(version),
            icmp ? flow.FirstIcmpCode : flow.ServerPort,
            flow.Key.Protocol);
        var what = new Detection(
            detection.Detector.Protocol,
            detection.Detector.Category,
            MethodName(detection.Match.Method),
            Math.Clamp(detection.Match.Confidence, 0f, 1f),
            detection.DescribeEvidence());
        var counters = new FlowCounters(flow.PacketsToServer, flow.PacketsToClient, flow.BytesToServer, flow.BytesToClient, flow.FirstSeenMicros);
        Alert alert = Alert.Create(
            detection.TimestampMicros,
            flow.Id,
            endpoints,
            what,
            counters,
            CurrentFile,
            CurrentFile is null ? null : detection.PacketNumber,
            flow.Key.VlanId == 0 ? null : flow.Key.VlanId,
            _sensorName);

        Alerts++;
        _alertsByProtocol[what.Protocol] = _alertsByProtocol.GetValueOrDefault(what.Protocol) + 1;
        _dispatcher.TryPublish(alert);
    }

    public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason) => _endedByReason[(int)reason]++;

    internal static string MethodName(Engine.Detection.DetectionMethod method) => method switch
    {
        Engine.Detection.DetectionMethod.Signature => "signature",
        Engine.Detection.DetectionMethod.Heuristic => "heuristic",
        Engine.Detection.DetectionMethod.Ml => "ml",
        Engine.Detection.DetectionMethod.AddressList => "address-list",
        _ => "unknown",
    };
}
