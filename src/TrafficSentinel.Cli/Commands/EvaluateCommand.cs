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

        if (settings.Classifier is not null)
        {
            // The classifier alone: no detector runs, every flow goes to the classifier. Its classes
            // group every other tunnel as other-vpn, so truths are grouped the same way here.
            console.Out.WriteLine("==== Flow classifier alone (no detectors; truth grouped into the classifier's classes: "
                + string.Join(", ", Classifier.FlowClasses.All) + ")");
            (int aloneExit, EvaluationResult? alone) = Evaluate(paths, labels, settings with { Outputs = [] }, console, DetectorSet.Empty);
            if (alone is null)
            {
                return aloneExit;
            }

            alone.WithTruth(Classifier.FlowClasses.FromTruth).Print(console.Out);
            console.Out.WriteLine();
            console.Out.WriteLine("==== Whole pipeline (detectors first, flow classifier as the fallback for undecided flows)");
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
