using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Cli.Training;

/// <summary>A flow as the classifier would have judged it: its name in the labels and its feature vector at that moment.</summary>
internal sealed record RecordedFlow(string File, FlowName Flow, long Packets, float[] Features);

/// <summary>A flow's name in the labels: transport and both endpoints, client first.</summary>
internal readonly record struct FlowName(string L4, System.Net.IPAddress ClientIp, ushort ClientPort, System.Net.IPAddress ServerIp, ushort ServerPort)
{
    public static FlowName Of(in FlowRecord flow)
    {
        int version = flow.Key.IpVersion;
        return new(Evaluation.LabelSet.L4Name(flow.Key.Protocol), flow.ClientAddress.ToIPAddress(version), flow.ClientPort, flow.ServerAddress.ToIPAddress(version), flow.ServerPort);
    }
}

/// <summary>An engine observer that keeps the protocol of each flow's first detection.</summary>
internal sealed class DetectionRecorder : Engine.Pipeline.IEngineObserver
{
    public Dictionary<FlowName, string> Detected { get; } = [];

    public void OnDetection(in Engine.Pipeline.DetectionEvent detection) =>
        Detected.TryAdd(FlowName.Of(in detection.Flow), detection.Detector.Protocol);

    public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason)
    {
    }
}

/// <summary>
/// An <see cref="IFlowClassifier"/> that never reports but records the features of every flow it is
/// asked about: training rows are taken at exactly the point where the live classifier judges.
/// </summary>
internal sealed class FeatureRecorder(int packetThreshold) : IFlowClassifier
{
    public int PacketThreshold { get; } = packetThreshold;

    public IReadOnlyList<ClassifierLabel> Labels { get; } = [];

    public string CurrentFile { get; set; } = string.Empty;

    public List<RecordedFlow> Flows { get; } = [];

    public bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict)
    {
        var features = new float[FeatureSchema.Length];
        FlowFeatures.Extract(in flow, features);
        Flows.Add(new RecordedFlow(CurrentFile, FlowName.Of(in flow), flow.Packets, features));
        return false;
    }
}
