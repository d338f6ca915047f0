using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Features;

namespace TrafficSentinel.Classifier.Tests;

public sealed class FallbackTests
{
    [Fact]
    public void Classifier_JudgesOnlyUndecidedFlows_OnceAtThreshold_AndReportsAsMl()
    {
        var probe = new ProbeClassifier(packetThreshold: 3, answer: true);
        var observer = new RecordingObserver();
        var engine = Packets.Engine(probe, observer, new DetectorSet([UdpTestDetector.Port2000()]));
        long t = 1_000_000;
        for (int i = 0; i < 10; i++)
        {
            // Port 2000: the detector decides it on the first packet. Port 3000: no detector does.
            engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 80, 1), t += 100, 108, (2 * i) + 1);
            engine.ProcessPacket(Packets.Udp("10.0.0.1", 1001, "10.0.0.2", 3000, 80, 1), t += 100, 108, (2 * i) + 2);
        }

        engine.Finish();

        // Only the undecided flow was judged, once, when it reached 3 packets (not again at its end).
        var call = Assert.Single(probe.Calls);
        Assert.Equal(3000, call.ServerPort);
        Assert.Equal(3, call.Packets);
        Assert.Equal(1, engine.FlowsClassified);

        Assert.Equal(2, observer.Detections.Count);
        Assert.Contains(observer.Detections, d => d.ServerPort == 2000 && d.Method == DetectionMethod.Signature);
        var ml = Assert.Single(observer.Detections, d => d.Method == DetectionMethod.Ml);
        Assert.Equal(3000, ml.ServerPort);
        Assert.Equal("openvpn", ml.Protocol);
        Assert.Equal(0.875f, ml.Confidence);
        Assert.Equal("flow classifier: openvpn p=0.88 after 3 packets (schema v" + FeatureSchema.Version + ")", ml.Evidence);
    }

    [Fact]
    public void Classifier_JudgesShortFlowsWhenTheyEnd()
    {
        var probe = new ProbeClassifier(packetThreshold: 32);
        var engine = Packets.Engine(probe);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 53, 40, 1), 1_000_000, 68, 1);
        engine.ProcessPacket(Packets.Udp("10.0.0.2", 53, "10.0.0.1", 1000, 120, 1), 1_000_500, 148, 2);
        Assert.Empty(probe.Calls);
        engine.EndOfSource();
        Assert.Equal(2, Assert.Single(probe.Calls).Packets);
    }

    [Fact]
    public void NoClassifier_NoJudgement()
    {
        var engine = Packets.Engine(null);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 53, 40, 1), 1_000_000, 68, 1);
        engine.Finish();
        Assert.Equal(0, engine.FlowsClassified);
    }
}
