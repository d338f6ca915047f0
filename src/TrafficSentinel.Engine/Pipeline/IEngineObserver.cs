using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Pipeline;

/// <summary>A detector's match on a flow, as handed to the observer. Valid only during the call.</summary>
public readonly ref struct DetectionEvent
{
    public readonly ref readonly FlowRecord Flow;
    public readonly ref readonly PacketInfo Packet;
    public readonly FlowDetector Detector;
    public readonly DetectionMatch Match;

    /// <summary>The detector's per-flow state, for <see cref="FlowDetector.DescribeEvidence"/>.</summary>
    public readonly ReadOnlySpan<byte> DetectorState;

    public readonly long TimestampMicros;

    /// <summary>1-based number of the packet within its source (capture file or interface).</summary>
    public readonly long PacketNumber;

    public DetectionEvent(ref readonly FlowRecord flow, ref readonly PacketInfo packet, FlowDetector detector, DetectionMatch match, ReadOnlySpan<byte> detectorState, long timestampMicros, long packetNumber)
    {
        Flow = ref flow;
        Packet = ref packet;
        Detector = detector;
        Match = match;
        DetectorState = detectorState;
        TimestampMicros = timestampMicros;
        PacketNumber = packetNumber;
    }

    public string DescribeEvidence() => Detector.DescribeEvidence(DetectorState, in Match);
}

/// <summary>Receives the engine's rare events: detections and ended flows. Runs on the packet thread.</summary>
public interface IEngineObserver : Flows.IFlowObserver
{
    void OnDetection(in DetectionEvent detection);
}
