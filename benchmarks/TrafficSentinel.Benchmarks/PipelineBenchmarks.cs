using BenchmarkDotNet.Attributes;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// Per-packet cost of the engine over an in-memory copy of the corpus: decoding alone (baseline),
/// then decode + flow-table update + the registered detectors. Timestamps are synthetic (10 µs apart,
/// moving on between invocations) so flows are created, expire and are recreated as in a long replay.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks : IDisposable
{
    private const int MaxPackets = 20_000;
    private InMemoryCapture _capture = null!;
    private SensorEngine _engine = null!;
    private long _clock;

    [GlobalSetup]
    public void Setup()
    {
        _capture = InMemoryCapture.Load();
        _engine = new SensorEngine(InMemoryCapture.EngineOptions, DetectorRegistry.CreateDefault());
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
        _capture.Replay(_engine, ref _clock, MaxPackets);
        return _engine.Flows.Count;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _engine.Dispose();
        GC.SuppressFinalize(this);
    }
}
