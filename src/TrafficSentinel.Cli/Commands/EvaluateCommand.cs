using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Engine.Detection;

namespace TrafficSentinel.Cli.Commands;

/// <summary>
/// <c>sentinel evaluate --labels labels.csv PCAPS…</c>: replays the captures, matches every alert to
/// the labelled flow it belongs to (file, l4, endpoints in either orientation), and prints per-class
/// precision, recall, packets-to-detection and a confusion table.
/// </summary>
internal static class EvaluateCommand
{
    public static int Run(IReadOnlyList<string> paths, string labelsPath, SensorSettings settings, CliConsole console, DetectorSet detectors)
    {
        LabelSet labels;
        try
        {
            labels = LabelSet.Load(labelsPath);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.CannotStart;
        }

        (int exit, EvaluationResult? result) = Evaluate(paths, labels, settings, console, detectors);
        result?.Print(console.Out);
        return exit;
    }

    /// <summary>Replays and evaluates; the result is null when nothing could be replayed.</summary>
    internal static (int ExitCode, EvaluationResult? Result) Evaluate(IReadOnlyList<string> paths, LabelSet labels, SensorSettings settings, CliConsole console, DetectorSet detectors)
    {
        var collector = new CollectingSink();
        int exit = ReplayCommand.Run(paths, settings, continuous: false, progress: true, console, detectors, [collector], out IReadOnlyList<string> files);
        if (files.Count == 0)
        {
            return (exit, null);
        }

        return (exit, Evaluator.Match(labels, files, collector.Alerts));
    }
}
