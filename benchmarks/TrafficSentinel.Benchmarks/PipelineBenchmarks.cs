using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// Per-packet cost of the engine over an in-memory copy of the corpus: decoding alone (baseline),
/// then decode + flow-table update + the registered detectors. Timestamps are synthetic (10 µs apart,
/// moving on between invocations) so flows are created, expire and are recreated as in a long replay.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const int MaxPackets = 20_000;
    private InMemoryCapture _capture = null!;
    private SensorEngine _engine = null!;
    private long _clock;

    [GlobalSetup]
    public void Setup()
    {
        _capture = InMemoryCapture.Load();
        _engine = new SensorEngine(
            new EngineOptions { Flows = new FlowTableOptions { MaxFlows = 65_536, IdleTimeoutMicros = 60 * FlowTableOptions.MicrosPerSecond, HashSeed = 1 } },
            DetectorRegistry.CreateDefault());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = MaxPackets)]
    public int DecodeOnly()
    {
        InMemoryCapture capture = _capture;
        int ok = 0;
        for (int i = 0; i < MaxPackets; i++)
        {
            int p = i % capture.Count;
            if (PacketDecoder.TryDecode(capture.LinkTypes[p], capture.Frame(p), out _) == DecodeStatus.Ok)
            {
                ok++;
            }
        }

        return ok;
    }

    [Benchmark(OperationsPerInvoke = MaxPackets)]
    public long DecodeAndTrackFlows()
    {
        InMemoryCapture capture = _capture;
        SensorEngine engine = _engine;
        long clock = _clock;
        for (int i = 0; i < MaxPackets; i++)
        {
            int p = i % capture.Count;
            if (capture.LinkTypes[p] != engine.CurrentLinkType)
            {
                engine.SetLinkType(capture.LinkTypes[p]);
            }

            clock += 10;
            engine.ProcessPacket(capture.Frame(p), clock, capture.Lengths[p], i + 1);
        }

        _clock = clock + (120 * FlowTableOptions.MicrosPerSecond);
        return engine.Flows.Count;
    }
}
