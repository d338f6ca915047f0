using System.Diagnostics;
using System.Globalization;
using TrafficSentinel.Alerts;
using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>One run of the sensor: engine, alert dispatcher and the bookkeeping for the summary.</summary>
internal sealed class SensorRun : IDisposable
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;
    private readonly CliConsole _console;
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private readonly List<string> _failures = [];
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
        Engine.Finish();
        _stopwatch.Stop();
        if (!Dispatcher.Complete(AlertDispatcher.DefaultCompleteTimeout))
        {
            _console.Error.WriteLine("warning: some alert sinks did not finish within " + AlertDispatcher.DefaultCompleteTimeout.TotalSeconds.ToString(s_inv) + " s");
        }
    }

    public void PrintSummary()
    {
        TextWriter w = _console.Error;
        EngineCounters c = Engine.Counters;
        FlowTable flows = Engine.Flows;
        double seconds = Math.Max(_stopwatch.Elapsed.TotalSeconds, 1e-9);

        w.WriteLine();
        w.WriteLine("== TrafficSentinel summary ==");
        string sources = SourcesTotal == 1 ? "1 source" : N(SourcesTotal) + " sources";
        if (_failures.Count > 0)
        {
            sources += " (" + N(_failures.Count) + (_failures.Count == 1 ? " problem" : " problems") + ", below)";
        }

        w.WriteLine(Row("input", sources + ", " + N(c.Packets) + " packets, " + Bytes(c.WireBytes) + " in " + seconds.ToString("0.00", s_inv) + " s ("
            + N((long)(c.Packets / seconds)) + " packets/s, " + (c.WireBytes * 8 / seconds / 1e6).ToString("0.0", s_inv) + " Mbit/s)"));
        w.WriteLine(Row("flows", N(flows.FlowsCreated) + " flows: " + N(Bridge[FlowEndReason.EndOfInput]) + " at end of input, "
            + N(Bridge[FlowEndReason.IdleTimeout]) + " idle, " + N(Bridge[FlowEndReason.TcpClosed]) + " TCP closed, "
            + N(Bridge[FlowEndReason.ActiveTimeout]) + " active timeout, " + N(Bridge[FlowEndReason.Evicted]) + " evicted (table cap " + N(flows.Capacity) + ", " + Bytes(flows.MemoryBytes) + ")"));
        w.WriteLine(Row("malformed", Breakdown(c, malformed: true)));
        w.WriteLine(Row("skipped", Breakdown(c, malformed: false)));
        w.WriteLine(Row("alerts", Bridge.Alerts == 0
            ? "none"
            : N(Bridge.Alerts) + ": " + string.Join(", ", Bridge.AlertsByProtocol.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + " " + N(p.Value)))));
        if (Engine.Classifier is { } classifier)
        {
            w.WriteLine(Row("classifier", N(Engine.FlowsClassified) + " undecided flows handed to the classifier (at " + N(classifier.PacketThreshold) + " packets or flow end), model " + _classifierSource));
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
        Dispatcher.Dispose();
    }

    private static string Breakdown(EngineCounters c, bool malformed)
    {
        long total = 0;
        var parts = new List<string>();
        for (int i = 1; i < DecodeStatusExtensions.Count; i++)
        {
            var status = (DecodeStatus)i;
            long n = c[status];
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
