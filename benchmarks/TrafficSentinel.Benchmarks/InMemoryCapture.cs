using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// Captures loaded into one buffer, so a benchmark measures packet processing and no file I/O.
/// By default the shared nDPI corpus (../shared/captures/ndpi beside the checkout); TS_BENCH_CAPTURES
/// names another folder or file.
/// </summary>
public sealed class InMemoryCapture
{
    private InMemoryCapture(byte[] buffer, int[] offsets, int[] lengths, int[] linkTypes, string source)
    {
        Buffer = buffer;
        Offsets = offsets;
        Lengths = lengths;
        LinkTypes = linkTypes;
        Source = source;
    }

    public byte[] Buffer { get; }

    public int[] Offsets { get; }

    public int[] Lengths { get; }

    public int[] LinkTypes { get; }

    public string Source { get; }

    public int Count => Offsets.Length;

    /// <summary>The engine settings the replay benchmarks share: a 65,536-flow table, 60 s idle timeout, fixed hash seed.</summary>
    public static EngineOptions EngineOptions { get; } = new()
    {
        Flows = new FlowTableOptions { MaxFlows = 65_536, IdleTimeoutMicros = 60 * FlowTableOptions.MicrosPerSecond, HashSeed = 1 },
    };

    public ReadOnlySpan<byte> Frame(int i) => Buffer.AsSpan(Offsets[i], Lengths[i]);

    /// <summary>
    /// Feeds <paramref name="packets"/> packets (cycling through the capture) to <paramref name="engine"/>
    /// with synthetic timestamps 10 µs apart from <paramref name="clock"/>, then moves the clock on by
    /// two minutes so the next call's flows are new ones (created, expired and recreated as in a long replay).
    /// </summary>
    public void Replay(SensorEngine engine, ref long clock, int packets)
    {
        long now = clock;
        for (int i = 0; i < packets; i++)
        {
            int p = i % Count;
            if (LinkTypes[p] != engine.CurrentLinkType)
            {
                engine.SetLinkType(LinkTypes[p]);
            }

            now += 10;
            engine.ProcessPacket(Frame(p), now, Lengths[p], i + 1);
        }

        clock = now + (120 * FlowTableOptions.MicrosPerSecond);
    }

    /// <summary>Loads every capture under the benchmark corpus (optionally only one link type).</summary>
    public static InMemoryCapture Load(int? onlyLinkType = null)
    {
        string source = FindCorpus();
        var buffer = new MemoryStream();
        var offsets = new List<int>();
        var lengths = new List<int>();
        var linkTypes = new List<int>();
        foreach (string file in CaptureInputs.Expand([source]))
        {
            using CaptureFileSource capture = CaptureFileSource.Open(file);
            if (onlyLinkType is int wanted && capture.LinkType != wanted)
            {
                continue;
            }

            while (capture.ReadNext(out RawPacket packet) == ReadStatus.Packet)
            {
                offsets.Add((int)buffer.Length);
                lengths.Add(packet.Data.Length);
                linkTypes.Add(capture.LinkType);
                buffer.Write(packet.Data);
            }
        }

        if (offsets.Count == 0)
        {
            throw new InvalidOperationException("no packets found in " + source);
        }

        return new InMemoryCapture(buffer.ToArray(), [.. offsets], [.. lengths], [.. linkTypes], source);
    }

    private static string FindCorpus()
    {
        if (Environment.GetEnvironmentVariable("TS_BENCH_CAPTURES") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "TrafficSentinel.sln")))
            {
                string shared = Path.GetFullPath(Path.Combine(dir, "..", "shared", "captures", "ndpi"));
                return Directory.Exists(shared) ? shared : Path.Combine(dir, "captures");
            }
        }

        throw new InvalidOperationException("cannot find the benchmark captures: set TS_BENCH_CAPTURES to a capture file or folder");
    }
}
