using System.Globalization;
using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Classifier.Tests;

/// <summary>
/// The classifier on a thread of its own (<see cref="EngineOptions.ClassifierThread"/>): the same
/// alerts as judging on the packet thread, at packets fixed by the input, and none lost at the end.
/// </summary>
public sealed class ClassifierThreadTests
{
    [SkippableFact]
    public void RealModelOnTheCorpus_SameAlertsAsInline_AtTheSamePacketsOnEveryRun()
    {
        string corpus = TestEnvironment.RequireNdpiCaptures();
        FlowClassifierModel model = FlowClassifierModel.Load(Path.Combine(TestEnvironment.RepoRoot, "models", "flow-classifier.zip"));
        string[] files = [.. CaptureInputs.Expand([corpus])];

        List<string> inline = Replay(files, model, new EngineOptions());
        List<string> threaded = Replay(files, model, new EngineOptions { ClassifierThread = true });
        List<string> again = Replay(files, model, new EngineOptions { ClassifierThread = true });
        List<string> twoSlots = Replay(files, model, new EngineOptions { ClassifierThread = true, ClassifierQueueCapacity = 2 });

        // The corpus gives the classifier real work: tunnel verdicts, and detectors deciding flows it judged.
        Assert.True(inline.Count(a => a.Contains("|ml|", StringComparison.Ordinal)) >= 20, string.Join("\n", inline));
        Assert.Equal(inline.Order(StringComparer.Ordinal), threaded.Order(StringComparer.Ordinal));
        Assert.Equal(threaded, again);
        Assert.Equal(inline.Order(StringComparer.Ordinal), twoSlots.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Verdicts_ComeOutLater_AtTheTick_OrAtTheEnd_NeverLost()
    {
        var probe = new ProbeClassifier(packetThreshold: 3, answer: true);
        var observer = new RecordingObserver();
        using var engine = new SensorEngine(new EngineOptions { ClassifierThread = true }, DetectorSet.Empty, observer, probe);
        engine.SetLinkType(Engine.Decoding.LinkType.Raw);
        long t = 1_000_000;
        for (int i = 0; i < 3; i++)
        {
            engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 3000, 80, 1), t += 100, 108, i + 1);
        }

        // Judged (handed over) at 3 packets, but reported only once due: not yet.
        Assert.Equal(1, engine.FlowsClassified);
        Assert.Empty(observer.Detections);

        // A live sensor's clock tick takes every verdict back.
        engine.AdvanceTime(t += 100);
        var ml = Assert.Single(observer.Detections);
        Assert.Equal(DetectionMethod.Ml, ml.Method);
        Assert.Equal(3000, ml.ServerPort);

        // A flow judged when it ends, at the end of input.
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1001, "10.0.0.2", 4000, 80, 1), t += 100, 108, 4);
        engine.ProcessPacket(Packets.Udp("10.0.0.2", 4000, "10.0.0.1", 1001, 80, 1), t += 100, 108, 5);
        engine.Finish();
        Assert.Equal(2, observer.Detections.Count);
        Assert.Equal(4000, observer.Detections[1].ServerPort);
        Assert.Equal(0.875f, observer.Detections[1].Confidence);
    }

    [Fact]
    public void Verdicts_AreReportedOnceDue_ThousandsOfPacketsLater_InOrder()
    {
        var probe = new ProbeClassifier(packetThreshold: 3, answer: true) { Record = false, MinPackets = 2 };
        var observer = new RecordingObserver();
        using var engine = new SensorEngine(new EngineOptions { ClassifierThread = true, ClassifierQueueCapacity = 8 }, DetectorSet.Empty, observer, probe);
        engine.SetLinkType(Engine.Decoding.LinkType.Raw);
        long t = 1_000_000;
        long number = 0;

        // 40 flows of 3 packets, then filler packets (flows of 1 packet: never handed over).
        for (ushort f = 0; f < 40; f++)
        {
            for (int i = 0; i < 3; i++)
            {
                engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.1.1", (ushort)(10_000 + f), 80, 1), t += 10, 108, ++number);
            }
        }

        // The ring of 8 filled up: the oldest verdicts were taken back to make room, in order.
        Assert.Equal(32, observer.Detections.Count);
        Assert.Equal(Enumerable.Range(10_000, 32).Select(p => (ushort)p), observer.Detections.Select(d => d.ServerPort));

        // The rest come out one by one, each at the packet that makes it ClassifierLagPackets old.
        long[] handedOverAt = [.. Enumerable.Range(0, 40).Select(f => (3L * f) + 3)];
        while (number < handedOverAt[^1] + SensorEngine.ClassifierLagPackets)
        {
            byte[] filler = Packets.Udp("10.0.0.9", (ushort)(number % 60_000), "10.0.0.10", 9, 10, 0);
            engine.ProcessPacket(filler, t += 10, filler.Length, ++number);
            int due = handedOverAt.Count(at => number - at >= SensorEngine.ClassifierLagPackets);
            Assert.Equal(Math.Max(32, due), observer.Detections.Count);
        }

        Assert.Equal(40, observer.Detections.Count);
        Assert.Equal(Enumerable.Range(10_000, 40).Select(p => (ushort)p), observer.Detections.Select(d => d.ServerPort));
        engine.Finish();
        Assert.Equal(40, observer.Detections.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DetectorMatchingAJudgedFlow_OneAlertPerProtocol(bool thread)
    {
        // The classifier says openvpn at 3 packets; a detector says openvpn at the 5th payload. Inline,
        // the classifier's alert came first and the detector's is not repeated; with a classifier
        // thread the verdict is still out when the detector matches, so the detector's alert stands
        // and the classifier's is dropped when it comes back.
        var probe = new ProbeClassifier(packetThreshold: 3, answer: true);
        var observer = new RecordingObserver();
        using var engine = new SensorEngine(new EngineOptions { ClassifierThread = thread }, new DetectorSet([UdpTestDetector.FifthPayload()]), observer, probe);
        engine.SetLinkType(Engine.Decoding.LinkType.Raw);
        long t = 1_000_000;
        for (int i = 0; i < 8; i++)
        {
            engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 3000, 80, 1), t += 100, 108, i + 1);
        }

        engine.Finish();
        var alert = Assert.Single(observer.Detections);
        Assert.Equal(thread ? DetectionMethod.Signature : DetectionMethod.Ml, alert.Method);
        Assert.Equal("openvpn", alert.Protocol);
    }

    /// <summary>Replays files as <c>replay</c> does (each file its own capture) and lists every alert as text.</summary>
    private static List<string> Replay(string[] files, FlowClassifierModel model, EngineOptions options)
    {
        var observer = new TextObserver();
        using var engine = new SensorEngine(options, DetectorRegistry.CreateDefault(), observer, model.CreateClassifier());
        foreach (string file in files)
        {
            using CaptureFileSource source = CaptureFileSource.Open(file);
            engine.SetLinkType(source.LinkType);
            observer.File = Path.GetFileName(file);
            while (source.ReadNext(out RawPacket packet) == ReadStatus.Packet)
            {
                engine.ProcessPacket(packet.Data, packet.TimestampMicros, packet.WireLength, packet.Number);
            }

            engine.EndOfSource();
        }

        engine.Finish();
        return observer.Alerts;
    }

    private sealed class TextObserver : IEngineObserver
    {
        public string File { get; set; } = string.Empty;

        public List<string> Alerts { get; } = [];

        public void OnDetection(in DetectionEvent detection) => Alerts.Add(string.Create(CultureInfo.InvariantCulture,
            $"{File}|{detection.PacketNumber}|{detection.TimestampMicros}|{detection.Flow.Id}|{detection.Flow.Packets}|{detection.Detector.Protocol}|{(detection.Match.Method == DetectionMethod.Ml ? "ml" : "detector")}|{detection.Match.Confidence}|{detection.DescribeEvidence()}"));

        public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason)
        {
        }
    }
}
