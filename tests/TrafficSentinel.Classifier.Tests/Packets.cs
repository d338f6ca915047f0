using System.Net;
using PacketDotNet;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Classifier.Tests;

/// <summary>Raw IPv4 packets (link type RAW) built with PacketDotNet.</summary>
internal static class Packets
{
    public static byte[] Udp(string src, ushort sport, string dst, ushort dport, int payloadLength, byte fill)
    {
        byte[] payload = new byte[payloadLength];
        Array.Fill(payload, fill);
        var udp = new UdpPacket(sport, dport) { PayloadData = payload };
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }

    public static byte[] Udp(string src, ushort sport, string dst, ushort dport, byte[] payload)
    {
        var udp = new UdpPacket(sport, dport) { PayloadData = payload };
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }

    public static SensorEngine Engine(IFlowClassifier? classifier, IEngineObserver? observer = null, DetectorSet? detectors = null)
    {
        var engine = new SensorEngine(new EngineOptions(), detectors ?? DetectorSet.Empty, observer, classifier);
        engine.SetLinkType(LinkType.Raw);
        return engine;
    }
}

/// <summary>A classifier that records what it was asked and answers with a fixed verdict.</summary>
internal sealed class ProbeClassifier(int packetThreshold, bool answer = false) : IFlowClassifier
{
    public int PacketThreshold { get; } = packetThreshold;

    public IReadOnlyList<ClassifierLabel> Labels { get; } = [new ClassifierLabel("openvpn", "vpn")];

    public List<(ushort ServerPort, long Packets, float[] Features)> Calls { get; } = [];

    /// <summary>Copies of the flow records asked about.</summary>
    public List<FlowRecord> Records { get; } = [];

    public bool Record { get; set; } = true;

    public int MinPackets { get; init; }

    public bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict)
    {
        if (Record)
        {
            var features = new float[FeatureSchema.Length];
            FlowFeatures.Extract(in flow, features);
            Calls.Add((flow.ServerPort, flow.Packets, features));
            Records.Add(flow);
        }

        verdict.LabelIndex = 0;
        verdict.Probability = 0.875f;
        return answer;
    }
}

/// <summary>How a <see cref="UdpTestDetector"/> judges one payload packet.</summary>
internal delegate DetectorVerdict TestJudgement(in PacketContext packet);

/// <summary>A UDP detector whose verdict on each payload packet the test gives; a match is a signature.</summary>
internal sealed class UdpTestDetector(string protocol, float confidence, string evidence, TestJudgement judge) : FlowDetector
{
    /// <summary>Matches every UDP flow to server port 2000 on its first payload packet; excludes others.</summary>
    public static UdpTestDetector Port2000() =>
        new("wireguard", 0.99f, "port 2000", (in PacketContext p) => p.ServerPort == 2000 ? DetectorVerdict.Match : DetectorVerdict.Exclude);

    /// <summary>Says openvpn on a UDP flow's fifth payload packet.</summary>
    public static UdpTestDetector FifthPayload() =>
        new("openvpn", 1, "fifth payload", (in PacketContext p) => p.PayloadPacketIndex < 4 ? DetectorVerdict.Continue : DetectorVerdict.Match);

    public override string Protocol => protocol;

    public override string Category => "vpn";

    public override DetectorTransports Transports => DetectorTransports.Udp;

    public override int PacketBudget => 8;

    public override int StateSize => 0;

    public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
    {
        DetectorVerdict verdict = judge(in packet);
        if (verdict == DetectorVerdict.Match)
        {
            match.Method = DetectionMethod.Signature;
            match.Confidence = confidence;
        }

        return verdict;
    }

    public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match) => evidence;
}

/// <summary>Keeps detections as (protocol, method, confidence, evidence).</summary>
internal sealed class RecordingObserver : IEngineObserver
{
    public List<(string Protocol, DetectionMethod Method, float Confidence, string Evidence, ushort ServerPort)> Detections { get; } = [];

    public int Ended { get; private set; }

    public void OnDetection(in DetectionEvent detection) =>
        Detections.Add((detection.Detector.Protocol, detection.Match.Method, detection.Match.Confidence, detection.DescribeEvidence(), detection.Flow.ServerPort));

    public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason) => Ended++;
}
