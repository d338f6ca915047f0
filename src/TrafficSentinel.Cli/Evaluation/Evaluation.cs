using System.Globalization;
using TrafficSentinel.Alerts;

namespace TrafficSentinel.Cli.Evaluation;

/// <summary>What happened to one labelled flow: the protocols alerted on it (none: judged benign).</summary>
internal sealed record FlowOutcome(FlowLabel Label, IReadOnlyList<Alert> Alerts)
{
    /// <summary>The predicted class: the first alert's protocol, or "benign" when nothing alerted.</summary>
    public string Predicted => Alerts.Count == 0 ? Evaluator.Benign : Alerts[0].Detection.Protocol;

    public bool Correct => Predicted == Label.Truth;
}

/// <summary>Per-class figures.</summary>
internal sealed record ClassMetrics(string Class, int Flows, int TruePositives, int FalsePositives, int FalseNegatives, double? MedianPacketsToDetection, long? MaxPacketsToDetection)
{
    public double? Precision => TruePositives + FalsePositives == 0 ? null : TruePositives / (double)(TruePositives + FalsePositives);

    public double? Recall => Flows == 0 ? null : TruePositives / (double)Flows;
}

/// <summary>Alerts of a replay matched to labelled flows.</summary>
internal sealed class EvaluationResult
{
    public EvaluationResult(IReadOnlyList<FlowOutcome> outcomes, IReadOnlyList<Alert> unlabelledAlerts)
    {
        Outcomes = outcomes;
        UnlabelledAlerts = unlabelledAlerts;
    }

    public IReadOnlyList<FlowOutcome> Outcomes { get; }

    /// <summary>The same outcomes with each label's truth mapped (e.g. grouped into a classifier's classes).</summary>
    public EvaluationResult WithTruth(Func<string, string> map) =>
        new([.. Outcomes.Select(o => o with { Label = o.Label with { Truth = map(o.Label.Truth) } })], UnlabelledAlerts);

    /// <summary>Alerts on flows the labels do not list (not counted in the confusion table).</summary>
    public IReadOnlyList<Alert> UnlabelledAlerts { get; }

    /// <summary>Benign-labelled flows that raised an alert.</summary>
    public IEnumerable<FlowOutcome> BenignAlerts => Outcomes.Where(o => o.Label.Truth == Evaluator.Benign && o.Alerts.Count > 0);

    public IReadOnlyList<string> Classes =>
        [.. Outcomes.Select(o => o.Label.Truth).Concat(Outcomes.Select(o => o.Predicted)).Distinct(StringComparer.Ordinal)
            .OrderBy(c => c == Evaluator.Benign ? 1 : 0).ThenBy(c => c, StringComparer.Ordinal)];

    public ClassMetrics Metrics(string cls)
    {
        int flows = 0, tp = 0, fp = 0, fn = 0;
        var packets = new List<long>();
        foreach (FlowOutcome o in Outcomes)
        {
            bool isClass = o.Label.Truth == cls;
            bool predicted = o.Predicted == cls;
            flows += isClass ? 1 : 0;
            if (isClass && predicted)
            {
                tp++;
                if (o.Alerts.Count > 0)
                {
                    packets.Add(o.Alerts[0].Counters.PacketsToServer + o.Alerts[0].Counters.PacketsToClient);
                }
            }
            else if (predicted)
            {
                fp++;
            }
            else if (isClass)
            {
                fn++;
            }
        }

        packets.Sort();
        double? median = packets.Count == 0 ? null : packets.Count % 2 == 1 ? packets[packets.Count / 2] : (packets[(packets.Count / 2) - 1] + packets[packets.Count / 2]) / 2.0;
        return new ClassMetrics(cls, flows, tp, fp, fn, median, packets.Count == 0 ? null : packets[^1]);
    }

    /// <summary>Counts of (truth, predicted).</summary>
    public int Confusion(string truth, string predicted) => Outcomes.Count(o => o.Label.Truth == truth && o.Predicted == predicted);

    public void Print(TextWriter w)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        IReadOnlyList<string> classes = Classes;
        w.WriteLine("== Evaluation: " + Outcomes.Count.ToString(inv) + " labelled flows, " + Outcomes.Count(o => o.Alerts.Count > 0).ToString(inv) + " alerted, "
            + UnlabelledAlerts.Count.ToString(inv) + " alerts on unlabelled flows");
        w.WriteLine();
        w.WriteLine(string.Format(inv, "{0,-14} {1,7} {2,5} {3,5} {4,5} {5,10} {6,8} {7,14}", "class", "flows", "TP", "FP", "FN", "precision", "recall", "pkts-to-detect"));
        foreach (string cls in classes)
        {
            ClassMetrics m = Metrics(cls);
            string p2d = m.MedianPacketsToDetection is double med ? med.ToString("0.#", inv) + " (max " + m.MaxPacketsToDetection!.Value.ToString(inv) + ")" : "-";
            w.WriteLine(string.Format(inv, "{0,-14} {1,7} {2,5} {3,5} {4,5} {5,10} {6,8} {7,14}", cls, m.Flows, m.TruePositives, m.FalsePositives, m.FalseNegatives,
                Percent(m.Precision), Percent(m.Recall), cls == Evaluator.Benign ? "-" : p2d));
        }

        int benignFlows = Outcomes.Count(o => o.Label.Truth == Evaluator.Benign);
        int benignAlerted = BenignAlerts.Count();
        w.WriteLine();
        w.WriteLine("benign flows flagged: " + benignAlerted.ToString(inv) + " of " + benignFlows.ToString(inv)
            + (benignFlows == 0 ? string.Empty : " (" + (benignAlerted * 100.0 / benignFlows).ToString("0.###", inv) + "%)"));
        w.WriteLine();
        w.WriteLine("confusion (rows: truth, columns: predicted)");
        int width = Math.Max(8, classes.Max(c => c.Length) + 1);
        w.Write("".PadRight(width));
        foreach (string c in classes)
        {
            w.Write(c.PadLeft(width));
        }

        w.WriteLine();
        foreach (string truth in classes)
        {
            w.Write(truth.PadRight(width));
            foreach (string predicted in classes)
            {
                w.Write(Confusion(truth, predicted).ToString(inv).PadLeft(width));
            }

            w.WriteLine();
        }

        List<FlowOutcome> wrong = [.. Outcomes.Where(o => !o.Correct)];
        if (wrong.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("misclassified flows (file, l4, client -> server, truth -> predicted):");
            foreach (FlowOutcome o in wrong.Take(200))
            {
                FlowLabel l = o.Label;
                w.WriteLine("  " + l.File + " " + l.L4 + " " + l.ClientIp + ":" + l.ClientPort.ToString(inv) + " -> " + l.ServerIp + ":" + l.ServerPort.ToString(inv)
                    + "  " + l.Truth + " -> " + o.Predicted + (o.Alerts.Count > 0 ? "  (" + o.Alerts[0].Detection.Evidence + ")" : string.Empty));
            }

            if (wrong.Count > 200)
            {
                w.WriteLine("  ... " + (wrong.Count - 200).ToString(inv) + " more");
            }
        }
    }

    private static string Percent(double? value) => value is double v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";
}

/// <summary>Matches alerts to labelled flows.</summary>
internal static class Evaluator
{
    public const string Benign = "benign";

    /// <summary>
    /// Joins <paramref name="alerts"/> to <paramref name="labels"/> for the labelled flows of the
    /// <paramref name="replayedFiles"/> (by file name). Alerts on flows the labels do not list are
    /// returned apart.
    /// </summary>
    public static EvaluationResult Match(LabelSet labels, IEnumerable<string> replayedFiles, IEnumerable<Alert> alerts)
    {
        var files = new HashSet<string>(replayedFiles.Select(Path.GetFileName).OfType<string>(), StringComparer.Ordinal);
        var byLabel = new Dictionary<FlowLabel, List<Alert>>(ReferenceEqualityComparer.Instance);
        foreach (FlowLabel label in labels.Flows)
        {
            if (files.Contains(label.File))
            {
                byLabel[label] = [];
            }
        }

        var unlabelled = new List<Alert>();
        foreach (Alert alert in alerts.OrderBy(a => a.TimestampMicros))
        {
            FlowEndpoints f = alert.Flow;
            if (alert.PcapFileName is not null
                && labels.TryFind(alert.PcapFileName, LabelSet.L4Name(f.IpProtocol), f.ClientIp, f.ClientPort, f.ServerIp, f.ServerPort, out FlowLabel? label)
                && byLabel.TryGetValue(label!, out List<Alert>? list))
            {
                list.Add(alert);
            }
            else
            {
                unlabelled.Add(alert);
            }
        }

        return new EvaluationResult([.. byLabel.Select(p => new FlowOutcome(p.Key, p.Value))], unlabelled);
    }
}
