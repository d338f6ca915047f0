using System.Globalization;
using TrafficSentinel.Classifier;
using TrafficSentinel.Engine.Features;

namespace TrafficSentinel.Cli.Training;

/// <summary>Writes the model card (markdown) next to a trained model: data, features, seed, metrics.</summary>
internal static class ModelCard
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter w, FlowClassifierModel model, TrainingOptions options, string[] commandLine, IReadOnlyList<DataFile> files, HashSet<string> testGroups,
        IReadOnlyList<Example> train, IReadOnlyList<Example> test, ClassifierReport report, string thresholdText, int[] skips, string? exclude,
        ClassifierReport? crossValidation = null, int cvFolds = 0)
    {
        ModelInfo info = model.Info;
        w.WriteLine("# Flow classifier model card");
        w.WriteLine();
        w.WriteLine("Written by `sentinel train`; regenerate it with the command below rather than editing it.");
        w.WriteLine();
        w.WriteLine("## Model");
        w.WriteLine();
        w.WriteLine(string.Create(s_inv, $"- ML.NET {typeof(Microsoft.ML.MLContext).Assembly.GetName().Version}: one-versus-all over calibrated FastTree binary trees (benign model {options.GateTrees ?? options.Trees} trees of {options.GateLeaves ?? options.Leaves} leaves, tunnel class models {options.Trees} trees of {options.Leaves} leaves, ≥ {options.MinExamplesPerLeaf} examples per leaf, 1 thread), seed {options.Seed}. Rows of one class from one capture weigh at most {options.MaxRowsPerFile} rows together (0: no cap), then classes are balanced (a row weighs at most {options.MaxClassWeight:0.#} benign rows).{(options.ShapeSwaps > 0 ? $" Each tunnel row also has {options.ShapeSwaps} shape-swapped copies weighing what it weighs: its framing, bit-density, block-alignment and transport features with the size, count and timing features (0–{FeatureSchema.ShapeFeatures - 1}) of a random benign row of the same transport." : "")}"));
        w.WriteLine("- The sensor walks the same trees from flat arrays stored in the zip (`TrafficSentinel/trees-<class>.bin`, checked equal to ML.NET's scores by the tests) in two stages: the benign model first; only a flow at or above the threshold is scored by the tunnel class models.");
        w.WriteLine("- Classes (score order): " + string.Join(", ", info.Classes.Select(c => "`" + c + "`")) + ". `other-vpn` groups every other tunnel or proxy of the labels (ipsec, shadowsocks, softether, anyconnect, pptp, psiphon, ultrasurf, other-vpn).");
        w.WriteLine(string.Create(s_inv, $"- Decision: tunnel probability = 1 − p(benign); a flow is reported when it is ≥ {info.Threshold:0.###} ({thresholdText}); the class is the most probable tunnel class; the alert's confidence is the tunnel probability."));
        w.WriteLine(string.Create(s_inv, $"- A flow is judged once, after {info.PacketThreshold} packets or when it ends, if no detector decided it; training rows are taken at that same point (the engine with a recording classifier and no detectors). Flows of fewer than {info.MinPackets} packets are never judged (not trained on; counted as predicted benign below)."));
        w.WriteLine(string.Create(s_inv, $"- Feature schema v{info.FeatureSchemaVersion}, {info.FeatureCount} features, recorded in the zip (`{ModelInfo.EntryName}`); a sensor refuses a model of another schema version."));
        w.WriteLine();
        w.WriteLine("## Command");
        w.WriteLine();
        w.WriteLine("```sh");
        w.WriteLine("sentinel " + string.Join(' ', commandLine.Skip(1).Select(Quote)));
        w.WriteLine("```");
        w.WriteLine();
        w.WriteLine("## Features");
        w.WriteLine();
        w.WriteLine(string.Create(s_inv, $"Computed incrementally per packet in a {System.Runtime.CompilerServices.Unsafe.SizeOf<FlowFeatureState>()}-byte accumulator in the flow record (`FlowFeatureState`), turned into the vector by `FlowFeatures.Extract`. Sizes are transport payload bytes; directions are client→server (+) and server→client (−). Features 37 and up (schema v2; v3 widened the Tor cells) count protocol framing per direction against the previous payload of that direction (repeated first bytes, a 32-bit counter field advancing by 1–{FlowFeatureState.MaxCounterStep}, same size) or per payload (2-byte length prefix, TLS record start and alignment, TLS records of whole Tor cells (514 bytes under AEAD or CBC, 512 under CBC), DTLS records); −1 when the flow had nothing to compare. No address, port, TTL, SPI, index or other trait of a capture: only equalities and steps between packets of the flow."));
        w.WriteLine();
        w.WriteLine(string.Join(", ", FeatureSchema.Names.Select((n, i) => i.ToString(s_inv) + " `" + n + "`")));
        w.WriteLine();
        w.WriteLine("## Data");
        w.WriteLine();
        w.WriteLine(string.Create(s_inv, $"Split by capture file (a generator `-midflow` copy stays with its original), per class of the file, seed {options.Seed}: {train.Count} training rows, {test.Count} test rows. Mid-flow rows: the generator's `-midflow` copies, plus each capture without one replayed again without the first K packets of every flow (K = {string.Join(", ", skips)}). Files excluded: `{exclude}`."));
        w.WriteLine();
        w.WriteLine("| rows | train | test |");
        w.WriteLine("|---|---:|---:|");
        foreach (string cls in info.Classes)
        {
            w.WriteLine(string.Create(s_inv, $"| {cls} (all / mid-flow) | {train.Count(e => e.Class == cls)} / {train.Count(e => e.Class == cls && e.MidFlow)} | {test.Count(e => e.Class == cls)} / {test.Count(e => e.Class == cls && e.MidFlow)} |"));
        }

        w.WriteLine();
        w.WriteLine("## Test-split metrics (files never seen in training or threshold choice)");
        w.WriteLine();
        WriteHeadline(w, report, " Target: ≥ 90 % and ≤ 1 %.");
        w.WriteLine();
        WriteBreakdown(w, report);
        report.WriteMarkdown(w, "All test flows");
        report.WriteMarkdown(w, "Mid-flow test flows", e => e.MidFlow);
        report.WriteMarkdown(w, "Whole-flow test flows", e => !e.MidFlow);
        if (crossValidation is not null)
        {
            w.WriteLine(string.Create(s_inv, $"## Cross-validation over all files ({cvFolds} folds)"));
            w.WriteLine();
            w.WriteLine(string.Create(s_inv, $"Every file (with its mid-flow copies) is tested once, by a model trained with the same options on the other {cvFolds - 1} folds' files; files are dealt into folds per class of the file (seed {options.Seed}). Threshold {info.Threshold:0.###}, the shipped one. One split depends on which files land in the test side (several classes have one or two captures); this covers them all."));
            w.WriteLine();
            WriteHeadline(w, crossValidation, string.Empty);
            w.WriteLine();
            WriteBreakdown(w, crossValidation);
            crossValidation.WriteMarkdown(w, "Mid-flow flows, out of fold", e => e.MidFlow);
        }

        w.WriteLine("## Files");
        w.WriteLine();
        w.WriteLine("| file | side | rows | sha256 |");
        w.WriteLine("|---|---|---:|---|");
        foreach (DataFile f in files.OrderBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Path, StringComparer.Ordinal))
        {
            string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(f.Path))) ?? string.Empty;
            w.WriteLine(string.Create(s_inv, $"| {folder}/{f.Name} | {(testGroups.Contains(f.Group) ? "test" : "train")} | {f.Examples} | {f.Sha256[..16]}… |"));
        }
    }

    /// <summary>"**Mid-flow tunnel recall …, benign flows flagged ….**" and <paramref name="after"/>.</summary>
    private static void WriteHeadline(TextWriter w, ClassifierReport report, string after)
    {
        (int flagged, int benign) = report.BenignFlagged();
        (int anyMid, int rightMid, int mid) = report.TunnelRecall(e => e.MidFlow);
        w.WriteLine(string.Create(s_inv, $"**Mid-flow tunnel recall {ClassifierReport.Pct(anyMid, mid)} ({anyMid}/{mid}; right class {ClassifierReport.Pct(rightMid, mid)}), benign flows flagged {ClassifierReport.Pct(flagged, benign)} ({flagged}/{benign}).**{after}"));
        (int caught, int tunnels, int pipelineFlagged, int allBenign) = report.MidFlowPipeline();
        w.WriteLine();
        w.WriteLine(string.Create(s_inv, $"The whole pipeline (the detectors first, this classifier for the flows they leave; the same replays with the detectors on): mid-flow tunnel recall {ClassifierReport.Pct(caught, tunnels)} ({caught}/{tunnels}), benign flows flagged {ClassifierReport.Pct(pipelineFlagged, allBenign)} ({pipelineFlagged}/{allBenign})."));
    }

    /// <summary>Tunnel recall (mid-flow and whole) and benign flagged by source folder, by labelled truth, and per capture holding tunnel flows.</summary>
    private static void WriteBreakdown(TextWriter w, ClassifierReport report)
    {
        IReadOnlyList<Example> examples = report.Examples;
        w.WriteLine("By source folder of the capture (the figures above are their sum):");
        w.WriteLine();
        w.WriteLine("| source | mid-flow tunnel recall | whole-flow tunnel recall | benign flagged | mid-flow recall, detectors first | benign flagged, detectors first |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (string source in examples.Select(e => e.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            (int sf, int nb) = report.BenignFlagged(e => e.Source == source);
            (int pc, int pt, int pf, int pb) = report.MidFlowPipeline(e => e.Source == source);
            w.WriteLine(string.Create(s_inv, $"| {source} | {Recall(report, e => e.Source == source && e.MidFlow)} | {Recall(report, e => e.Source == source && !e.MidFlow)} | {ClassifierReport.Pct(sf, nb)} ({sf}/{nb}) | {ClassifierReport.Pct(pc, pt)} ({pc}/{pt}) | {ClassifierReport.Pct(pf, pb)} ({pf}/{pb}) |"));
        }

        w.WriteLine();
        w.WriteLine("By labelled truth (the labels' own classes; flagged as any tunnel):");
        w.WriteLine();
        w.WriteLine("| truth | mid-flow recall | whole-flow recall |");
        w.WriteLine("|---|---:|---:|");
        foreach (string truth in examples.Where(e => e.Class != FlowClasses.Benign).Select(e => e.Truth).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            w.WriteLine(string.Create(s_inv, $"| {truth} | {Recall(report, e => e.Truth == truth && e.MidFlow)} | {Recall(report, e => e.Truth == truth && !e.MidFlow)} |"));
        }

        w.WriteLine();
        var captures = examples.Where(e => e.Class != FlowClasses.Benign).GroupBy(e => (e.Source, e.Group)).OrderBy(g => g.Key.Source, StringComparer.Ordinal).ThenBy(g => g.Key.Group, StringComparer.Ordinal).ToList();
        var missed = captures.Where(c => report.TunnelRecall(e => e.Source == c.Key.Source && e.Group == c.Key.Group) is var r && r.AnyTunnel < r.Tunnels).ToList();
        w.WriteLine(string.Create(s_inv, $"By capture: {captures.Count - missed.Count} of the {captures.Count} captures with tunnel flows had every one caught; the {missed.Count} others (a generator's `-midflow` copy counts with its original):"));
        w.WriteLine();
        w.WriteLine("| capture | truth | mid-flow recall | whole-flow recall |");
        w.WriteLine("|---|---|---:|---:|");
        foreach (IGrouping<(string Source, string Group), Example> capture in missed)
        {
            (string source, string group) = capture.Key;
            string truths = string.Join(", ", capture.Select(e => e.Truth).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            w.WriteLine(string.Create(s_inv, $"| {source}/{group} | {truths} | {Recall(report, e => e.Source == source && e.Group == group && e.MidFlow)} | {Recall(report, e => e.Source == source && e.Group == group && !e.MidFlow)} |"));
        }

        w.WriteLine();
        var falseAlarms = Enumerable.Range(0, examples.Count)
            .Where(i => examples[i].Class == FlowClasses.Benign && report.Predicted[i] != FlowClasses.Benign)
            .GroupBy(i => (examples[i].Source, examples[i].Group))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Source, StringComparer.Ordinal).ThenBy(g => g.Key.Group, StringComparer.Ordinal)
            .ToList();
        if (falseAlarms.Count == 0)
        {
            return;
        }

        w.WriteLine("Benign flows flagged, by capture:");
        w.WriteLine();
        w.WriteLine("| capture | flagged | as | of them mid-flow |");
        w.WriteLine("|---|---:|---|---:|");
        foreach (IGrouping<(string Source, string Group), int> capture in falseAlarms)
        {
            (string source, string group) = capture.Key;
            (int flagged, int benign) = report.BenignFlagged(e => e.Source == source && e.Group == group);
            string predicted = string.Join(", ", capture.GroupBy(i => report.Predicted[i], StringComparer.Ordinal).OrderByDescending(g => g.Count()).Select(g => string.Create(s_inv, $"{g.Key} {g.Count()}")));
            w.WriteLine(string.Create(s_inv, $"| {source}/{group} | {flagged} of {benign} | {predicted} | {capture.Count(i => examples[i].MidFlow)} |"));
        }

        w.WriteLine();
    }

    /// <summary>"95.8% (23/24)": the selected tunnel flows flagged as any tunnel.</summary>
    private static string Recall(ClassifierReport report, Func<Example, bool> where)
    {
        (int any, _, int tunnels) = report.TunnelRecall(where);
        return tunnels == 0 ? "-" : string.Create(s_inv, $"{ClassifierReport.Pct(any, tunnels)} ({any}/{tunnels})");
    }

    private static string Quote(string arg) => arg.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '*' or '$') ? "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : arg;
}
