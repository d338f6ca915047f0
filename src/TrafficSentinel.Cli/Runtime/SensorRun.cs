using System.Diagnostics;
using System.Globalization;
using TrafficSentinel.Alerts;
using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>One engine and the bridge that turns its detections into alerts: one per packet thread.</summary>
internal sealed record SensorShard(SensorEngine Engine, AlertBridge Bridge)
{
    /// <summary>
    /// The packets that follow come from <paramref name="file"/> (null: an interface) with link type
    /// <paramref name="linkType"/>. Verdicts still on the classifier thread are reported first, so
    /// their alerts name the file they were judged in.
    /// </summary>
    public void BeginSource(string? file, int linkType)
    {
        Engine.SetLinkType(linkType);
        Engine.TakeClassifierResults();
        Bridge.CurrentFile = file;
    }
}

/// <summary>
/// One run of the sensor: its engines (one per packet thread, called shards), the alert dispatcher
/// they share, and the bookkeeping for the summary, which adds the shards up.
/// </summary>
internal sealed class SensorRun : IDisposable
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;
    private readonly CliConsole _console;
    private readonly SensorSettings _settings;
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private readonly List<string> _failures = [];
    private readonly List<SensorShard> _shards = [];
    private readonly string? _classifierSource;
    private bool _completed;

    public SensorRun(SensorSettings settings, CliConsole console, DetectorSet detectors, IEnumerable<IAlertSink>? extraSinks = null)
    {
        _console = console;
        List<IAlertSink> sinks = SinkFactory.Create(settings.Outputs, console);
        sinks.AddRange(extraSinks ?? []);
        Dispatcher = new AlertDispatcher(sinks, settings.QueueCapacity);
        Bridge = new AlertBridge(Dispatcher, settings.SensorName);
        Engine = new SensorEngine(settings.ToEngineOptions(), detectors, Bridge, settings.Classifier);
        _classifierSource = settings.ClassifierSource;
        _settings = settings;
        _shards.Add(new SensorShard(Engine, Bridge));
    }

    /// <summary>The engines of the run; the first is <see cref="Engine"/>.</summary>
    public IReadOnlyList<SensorShard> Shards => _shards;

    /// <summary>
    /// Adds an engine for another packet thread, with its own detectors (their pools belong to one
    /// thread), reporting to the same dispatcher. Its flow table has the run's cap divided among the shards.
    /// </summary>
    public SensorShard AddShard(DetectorSet detectors)
    {
        var bridge = new AlertBridge(Dispatcher, _settings.SensorName);
        var shard = new SensorShard(new SensorEngine(_settings.ToEngineOptions(), detectors, bridge, _settings.NewClassifier?.Invoke()), bridge);
        _shards.Add(shard);
        return shard;
    }

    public SensorEngine Engine { get; }

    public AlertBridge Bridge { get; }

    public AlertDispatcher Dispatcher { get; }

    /// <summary>Capture files or interfaces given to the run.</summary>
    public int SourcesTotal { get; set; }

    public CaptureStatistics? KernelStatistics { get; set; }

    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Records an input that failed, and says so on stderr at once.</summary>
    public void Fail(string oneLine)
    {
        _failures.Add(oneLine);
        _console.Error.WriteLine("error: " + oneLine);
    }

    /// <summary>Ends all flows, drains the sinks, stops the clock. Safe to call twice.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        foreach (SensorShard shard in _shards)
        {
            shard.Engine.Finish();
        }

        _stopwatch.Stop();
        if (!Dispatcher.Complete(AlertDispatcher.DefaultCompleteTimeout))
        {
            _console.Error.WriteLine("warning: some alert sinks did not finish within " + AlertDispatcher.DefaultCompleteTimeout.TotalSeconds.ToString(s_inv) + " s");
        }
    }

    public void PrintSummary()
    {
        TextWriter w = _console.Error;
        double seconds = Math.Max(_stopwatch.Elapsed.TotalSeconds, 1e-9);
        long packets = Sum(e => e.Counters.Packets);
        long wireBytes = Sum(e => e.Counters.WireBytes);

        w.WriteLine();
        w.WriteLine("== TrafficSentinel summary ==");
        string sources = SourcesTotal == 1 ? "1 source" : N(SourcesTotal) + " sources";
        if (_failures.Count > 0)
        {
            sources += " (" + N(_failures.Count) + (_failures.Count == 1 ? " problem" : " problems") + ", below)";
        }

        w.WriteLine(Row("input", sources + ", " + N(packets) + " packets, " + Bytes(wireBytes) + " in " + seconds.ToString("0.00", s_inv) + " s ("
            + N((long)(packets / seconds)) + " packets/s, " + (wireBytes * 8 / seconds / 1e6).ToString("0.0", s_inv) + " Mbit/s)"
            + (_shards.Count > 1 ? ", " + N(_shards.Count) + " packet threads" : string.Empty)));
        w.WriteLine(Row("flows", N(Sum(e => e.Flows.FlowsCreated)) + " flows: " + N(Ended(FlowEndReason.EndOfInput)) + " at end of input, "
            + N(Ended(FlowEndReason.IdleTimeout)) + " idle, " + N(Ended(FlowEndReason.TcpClosed)) + " TCP closed, "
            + N(Ended(FlowEndReason.ActiveTimeout)) + " active timeout, " + N(Ended(FlowEndReason.Evicted)) + " evicted (table cap "
            + N(Sum(e => e.Flows.Capacity)) + ", " + Bytes(Sum(e => e.Flows.MemoryBytes)) + ")"));
        w.WriteLine(Row("malformed", Breakdown(malformed: true)));
        w.WriteLine(Row("skipped", Breakdown(malformed: false)));
        var alerts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (SensorShard shard in _shards)
        {
            foreach ((string protocol, long count) in shard.Bridge.AlertsByProtocol)
            {
                alerts[protocol] = alerts.GetValueOrDefault(protocol) + count;
            }
        }

        w.WriteLine(Row("alerts", alerts.Count == 0
            ? "none"
            : N(alerts.Values.Sum()) + ": " + string.Join(", ", alerts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + " " + N(p.Value)))));
        if (Engine.Classifier is { } classifier)
        {
            long waits = Sum(e => e.ClassifierWaits);
            string where = _settings.ClassifierThread
                ? ", on a classifier thread (the packet thread waited for it " + (waits == 1 ? "once" : N(waits) + " times") + ")"
                : ", on the packet thread";
            w.WriteLine(Row("classifier", N(Sum(e => e.FlowsClassified)) + " undecided flows handed to the classifier (at " + N(classifier.PacketThreshold) + " packets or flow end)" + where + ", model " + _classifierSource));
        }

        foreach (SinkStatistics s in Dispatcher.GetStatistics())
        {
            string line = s.Name + ": " + N(s.Written) + " written, " + N(s.Dropped) + " dropped, " + N(s.Failed) + " failed";
            if (s.LastError is not null)
            {
                line += " (last error: " + s.LastError + ")";
            }

            w.WriteLine(Row("sink", line));
        }

        if (KernelStatistics is { } k)
        {
            w.WriteLine(Row("kernel", N(k.Received) + " received, " + N(k.Dropped) + " dropped, " + N(k.InterfaceDropped) + " dropped by the interface"));
        }

        foreach (string failure in _failures)
        {
            w.WriteLine(Row("failed", failure));
        }

        w.Flush();
    }

    public void Dispose()
    {
        Complete();
        foreach (SensorShard shard in _shards)
        {
            shard.Engine.Dispose();
        }

        Dispatcher.Dispose();
    }

    private long Sum(Func<SensorEngine, long> value)
    {
        long sum = 0;
        foreach (SensorShard shard in _shards)
        {
            sum += value(shard.Engine);
        }

        return sum;
    }

    private long Ended(FlowEndReason reason)
    {
        long sum = 0;
        foreach (SensorShard shard in _shards)
        {
            sum += shard.Bridge[reason];
        }

        return sum;
    }

    private string Breakdown(bool malformed)
    {
        long total = 0;
        var parts = new List<string>();
        for (int i = 1; i < DecodeStatusExtensions.Count; i++)
        {
            var status = (DecodeStatus)i;
            long n = Sum(e => e.Counters[status]);
            if (status.IsMalformed() == malformed && n > 0)
            {
                total += n;
                parts.Add(status.ToReason() + " " + N(n));
            }
        }

        return total == 0 ? "0 packets" : N(total) + " packets: " + string.Join(", ", parts);
    }

    private static string Row(string name, string text) => name.PadRight(10) + " " + text;

    internal static string N(long value) => value.ToString("N0", s_inv);

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", s_inv) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", s_inv) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", s_inv) + " KiB",
        _ => bytes.ToString(s_inv) + " B",
    };
}
