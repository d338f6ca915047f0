using System.Globalization;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Features;

/// <summary>A classifier's answer for one flow: which of its <see cref="IFlowClassifier.Labels"/>, and how sure.</summary>
public struct ClassifierVerdict
{
    /// <summary>Index into <see cref="IFlowClassifier.Labels"/>.</summary>
    public int LabelIndex;

    /// <summary>0 to 1.</summary>
    public float Probability;
}

/// <summary>
/// The fallback judge for flows no detector decided. The engine calls <see cref="TryClassify"/> once
/// per such flow, when it reaches <see cref="PacketThreshold"/> packets or when it ends, whichever
/// comes first, on the packet thread; a true result goes to the observer as a detection with method
/// <see cref="DetectionMethod.Ml"/>. Implementations must not allocate or throw per call.
/// </summary>
public interface IFlowClassifier
{
    /// <summary>Packets (both directions) after which a flow is judged, if it has not ended before.</summary>
    int PacketThreshold { get; }

    /// <summary>Flows with fewer packets are never judged: the engine does not hand them over (default: all are).</summary>
    int MinPackets => 0;

    /// <summary>The classes an alert may name (tunnels only: "benign" is never reported).</summary>
    IReadOnlyList<ClassifierLabel> Labels { get; }

    /// <summary>Judges a flow from <see cref="FlowRecord.Features"/>; true when it is a tunnel above the threshold.</summary>
    bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict);
}

/// <summary>
/// A class the flow classifier can report, dressed as a detector so that its alerts take the same
/// observer path as the detectors' (protocol, category, evidence). It is never registered in a
/// <see cref="DetectorSet"/> and never inspects packets.
/// </summary>
public sealed class ClassifierLabel(string protocol, string category) : FlowDetector
{
    public override string Protocol { get; } = protocol;

    public override string Category { get; } = category;

    public override string Name => "ml:" + Protocol;

    public override DetectorTransports Transports => DetectorTransports.None;

    public override int PacketBudget => 0;

    public override int StateSize => 0;

    public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match) => DetectorVerdict.Exclude;

    /// <summary>"flow classifier: openvpn p=0.97 after 32 packets (schema v2)"; the evidence code is the flow's packet count.</summary>
    public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match) =>
        string.Create(CultureInfo.InvariantCulture, $"flow classifier: {Protocol} p={match.Confidence:0.00} after {match.EvidenceCode} packets (schema v{FeatureSchema.Version})");
}
