using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Engine.Tests.Pipeline;

public class SensorEngineTests
{
    private const long Second = FlowTableOptions.MicrosPerSecond;

    private static SensorEngine NewEngine(Recorder recorder, params FlowDetector[] detectors) =>
        new(new EngineOptions { Flows = new FlowTableOptions { MaxFlows = 1024, IdleTimeoutMicros = 60 * Second, HashSeed = 3 } }, new DetectorSet(detectors), recorder);

    [Fact]
    public void ProcessPacket_CountsDirectionsAndBytes()
    {
        var recorder = new Recorder();
        SensorEngine engine = NewEngine(recorder);
        byte[] request = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5000, "10.0.0.1", 53, new byte[20]));
        byte[] reply = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.1", 53, "10.0.0.9", 5000, new byte[100]));

        engine.ProcessPacket(request, 1 * Second, request.Length, 1);
        engine.ProcessPacket(reply, 1 * Second + 10, reply.Length, 2);
        engine.ProcessPacket(request, 1 * Second + 20, request.Length, 3);
        engine.Finish();

        FlowSnapshot flow = Assert.Single(recorder.Ended);
        Assert.Equal(2, flow.PacketsToServer);
        Assert.Equal(1, flow.PacketsToClient);
        Assert.Equal(2 * request.Length, flow.BytesToServer);
        Assert.Equal(reply.Length, flow.BytesToClient);
        Assert.Equal(5000, flow.ClientPort);
        Assert.Equal(FlowEndReason.EndOfInput, flow.Reason);
        Assert.Equal(3, engine.Counters.Packets);
    }

    [Fact]
    public void ProcessPacket_MalformedInput_IsCountedByReason()
    {
        SensorEngine engine = NewEngine(new Recorder());
        byte[] good = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5000, "10.0.0.1", 53, new byte[20]));

        engine.ProcessPacket(good.AsSpan(0, 20), 0, good.Length, 1);
        engine.ProcessPacket(good.AsSpan(0, 8), 0, good.Length, 2);
        engine.ProcessPacket(good, 0, good.Length, 3);

        Assert.Equal(1, engine.Counters[DecodeStatus.TruncatedIpHeader]);
        Assert.Equal(1, engine.Counters[DecodeStatus.TruncatedLinkHeader]);
        Assert.Equal(2, engine.Counters.Malformed);
        Assert.Equal(1, engine.Flows.Count);
    }

    [Fact]
    public void ProcessPacket_DetectorMatch_IsReportedOncePerFlowWithItsPacket()
    {
        var recorder = new Recorder();
        var detector = new MagicDetector();
        SensorEngine engine = NewEngine(recorder, detector);
        byte[] hello = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5000, "10.0.0.1", 4000, "MAGIC-1"u8.ToArray()));
        byte[] reply = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.1", 4000, "10.0.0.9", 5000, "MAGIC-2"u8.ToArray()));
        byte[] other = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5001, "10.0.0.1", 4000, "hello"u8.ToArray()));

        engine.ProcessPacket(other, 0, other.Length, 1);
        engine.ProcessPacket(hello, 1, hello.Length, 2);
        engine.ProcessPacket(reply, 2, reply.Length, 3);
        engine.ProcessPacket(hello, 3, hello.Length, 4);
        engine.ProcessPacket(reply, 4, reply.Length, 5);

        (string evidence, long packetNumber, int clientPort) = Assert.Single(recorder.Detections);
        Assert.Equal(3, packetNumber);
        Assert.Equal(5000, clientPort);
        Assert.Equal("MAGIC both ways", evidence);
        Assert.Equal(1, engine.Counters.Detections);
        // Decided after the match: the detector saw only the two packets before it.
        Assert.Equal(3, detector.Calls);
    }

    [Fact]
    public void ProcessPacket_DetectorThatExcludes_IsNotCalledAgainForTheFlow()
    {
        var detector = new MagicDetector();
        SensorEngine engine = NewEngine(new Recorder(), detector);
        byte[] other = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5001, "10.0.0.1", 4000, "hello"u8.ToArray()));

        for (int i = 0; i < 10; i++)
        {
            engine.ProcessPacket(other, i, other.Length, i + 1);
        }

        Assert.Equal(1, detector.Calls);
    }

    [Fact]
    public void ProcessPacket_PacketBudget_StopsInspection()
    {
        var detector = new NeverDecidesDetector();
        SensorEngine engine = NewEngine(new Recorder(), detector);
        byte[] packet = TestPackets.Ethernet(TestPackets.Ipv4Tcp("10.0.0.9", 5001, "10.0.0.1", 443, "data"u8.ToArray()));

        for (int i = 0; i < 20; i++)
        {
            engine.ProcessPacket(packet, i, packet.Length, i + 1);
        }

        Assert.Equal(NeverDecidesDetector.Budget, detector.Calls);
    }

    [Fact]
    public void ProcessPacket_PacketTime_ExpiresIdleFlows()
    {
        var recorder = new Recorder();
        SensorEngine engine = NewEngine(recorder);
        byte[] a = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5000, "10.0.0.1", 53, new byte[4]));
        byte[] b = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5001, "10.0.0.1", 53, new byte[4]));

        engine.ProcessPacket(a, 0, a.Length, 1);
        engine.ProcessPacket(b, 61 * Second, b.Length, 2);
        Assert.Equal(FlowEndReason.IdleTimeout, Assert.Single(recorder.Ended).Reason);

        engine.AdvanceTime(200 * Second);
        Assert.Equal(2, recorder.Ended.Count);
    }

    [Fact]
    public void ProcessPacket_TcpRstThenQuiet_EndsTheFlowAsClosed()
    {
        var recorder = new Recorder();
        SensorEngine engine = NewEngine(recorder);
        byte[] syn = TestPackets.Ethernet(TestPackets.Ipv4Tcp("10.0.0.9", 5000, "10.0.0.1", 80, [], syn: true, ack: false));
        byte[] rst = TestPackets.Ethernet(TestPackets.Ipv4Tcp("10.0.0.1", 80, "10.0.0.9", 5000, [], ack: true, rst: true));

        engine.ProcessPacket(syn, 0, syn.Length, 1);
        engine.ProcessPacket(rst, 10, rst.Length, 2);
        engine.AdvanceTime(6 * Second);

        Assert.Equal(FlowEndReason.TcpClosed, Assert.Single(recorder.Ended).Reason);
    }

    [Fact]
    public void ProcessPacket_SteadyState_AllocatesNothing()
    {
        var detector = new MagicDetector();
        SensorEngine engine = NewEngine(new Recorder(), detector);
        byte[][] frames = new byte[64][];
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i] = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", (ushort)(1000 + i), "10.0.0.1", 4000, "no magic here"u8.ToArray()));
        }

        for (int i = 0; i < frames.Length; i++)
        {
            engine.ProcessPacket(frames[i], i, frames[i].Length, i);
        }

        // Warm up with the same loop, so that tiering and on-stack replacement happen before measuring.
        Rounds(engine, frames, 1000);
        Rounds(engine, frames, 2000);

        Assert.Equal(0, Allocations.Fewest(() => Rounds(engine, frames, 3000)));
    }

    private static void Rounds(SensorEngine engine, byte[][] frames, int start)
    {
        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < frames.Length; i++)
            {
                engine.ProcessPacket(frames[i], start + round, frames[i].Length, i);
            }
        }
    }

    [Fact]
    public void FlowEnd_RunsTheDetectorsEndHookWithTheFlowsState()
    {
        var detector = new EndHookDetector();
        SensorEngine engine = NewEngine(new Recorder(), detector);
        byte[] a = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5000, "10.0.0.1", 53, new byte[4]));
        byte[] b = TestPackets.Ethernet(TestPackets.Ipv4Udp("10.0.0.9", 5001, "10.0.0.1", 53, new byte[4]));

        engine.ProcessPacket(a, 0, a.Length, 1);
        engine.ProcessPacket(b, 0, b.Length, 2);
        engine.Finish();

        Assert.Equal([(byte)42, (byte)42], detector.EndedStates);
    }

    private sealed record FlowSnapshot(long PacketsToServer, long PacketsToClient, long BytesToServer, long BytesToClient, ushort ClientPort, FlowEndReason Reason);

    private sealed class Recorder : IEngineObserver
    {
        public List<FlowSnapshot> Ended { get; } = [];

        public List<(string Evidence, long PacketNumber, int ClientPort)> Detections { get; } = [];

        public void OnFlowEnded(ref FlowRecord flow, FlowEndReason reason) =>
            Ended.Add(new FlowSnapshot(flow.PacketsToServer, flow.PacketsToClient, flow.BytesToServer, flow.BytesToClient, flow.ClientPort, reason));

        public void OnDetection(in DetectionEvent detection) =>
            Detections.Add((detection.DescribeEvidence(), detection.PacketNumber, detection.Flow.ClientPort));
    }

    /// <summary>Matches a UDP flow whose client and server each open with "MAGIC"; excludes anything else.</summary>
    private sealed class MagicDetector : FlowDetector
    {
        public int Calls { get; private set; }

        public override string Protocol => "test";

        public override string Category => "vpn";

        public override DetectorTransports Transports => DetectorTransports.Udp;

        public override int PacketBudget => 4;

        public override int StateSize => 1;

        public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
        {
            Calls++;
            if (!packet.Payload.StartsWith("MAGIC"u8))
            {
                return DetectorVerdict.Exclude;
            }

            state[0] |= packet.FromClient ? (byte)1 : (byte)2;
            if (state[0] != 3)
            {
                return DetectorVerdict.Continue;
            }

            match.Method = DetectionMethod.Signature;
            match.Confidence = 0.9f;
            return DetectorVerdict.Match;
        }

        public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match) =>
            state[0] == 3 ? "MAGIC both ways" : "incomplete";
    }

    private sealed class NeverDecidesDetector : FlowDetector
    {
        public const int Budget = 5;

        public int Calls { get; private set; }

        public override string Protocol => "never";

        public override string Category => "vpn";

        public override DetectorTransports Transports => DetectorTransports.Tcp;

        public override int PacketBudget => Budget;

        public override int StateSize => 0;

        public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
        {
            Calls++;
            return DetectorVerdict.Continue;
        }

        public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match) => "never";
    }

    private sealed class EndHookDetector : FlowDetector
    {
        public List<byte> EndedStates { get; } = [];

        public override string Protocol => "end";

        public override string Category => "vpn";

        public override DetectorTransports Transports => DetectorTransports.Udp;

        public override int PacketBudget => 1;

        public override int StateSize => 1;

        public override bool WantsFlowEnd => true;

        public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
        {
            state[0] = 42;
            return DetectorVerdict.Continue;
        }

        public override void OnFlowEnded(Span<byte> state) => EndedStates.Add(state[0]);

        public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match) => "end";
    }
}
