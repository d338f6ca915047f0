using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using TrafficSentinel.Capture;
using TrafficSentinel.Classifier;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Cli.Runtime;
using TrafficSentinel.Cli.Training;
using TrafficSentinel.Engine.Detection;

namespace TrafficSentinel.Cli.Commands;

/// <summary>
/// <c>sentinel train --labels L.csv PCAPS… --out models/flow-classifier.zip</c>: replays labelled
/// captures through the engine (no detectors; every flow is recorded where the live classifier would
/// judge it), adds mid-flow copies (each flow without its first K packets), splits train and test by
/// capture file with a fixed seed, picks the threshold by grouped cross-validation on the training
/// files only, trains on the training files, and writes the model and its model card.
/// </summary>
internal static class TrainCommand
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static Command Build(CliConsole console)
    {
        var labels = new Option<string[]>("--labels", "-l")
        {
            Description = "Labels file(s) (labels.csv format); repeat for several. A capture uses the labels file of its own folder when one is given, otherwise all.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var pcaps = new Argument<string[]>("PCAPS") { Description = "Labelled captures (files or folders).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "The model file to write.", DefaultValueFactory = _ => MlSettings.DefaultModelRelativePath };
        var card = new Option<string?>("--card") { Description = "The model card to write (default: the model's path with .md)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the split, the folds and the trainer.", DefaultValueFactory = _ => new TrainingOptions().Seed };
        var testFraction = new Option<double>("--test-fraction") { Description = "Share of capture files (per class) held out for testing.", DefaultValueFactory = _ => 0.3 };
        var skips = new Option<int[]>("--midflow-skip")
        {
            Description = "Mid-flow copies: also replay each capture without the first K packets of every flow, for each K (captures that have a *-midflow copy beside them are not trimmed again).",
            DefaultValueFactory = _ => [10, 30],
            AllowMultipleArgumentsPerToken = true,
        };
        var packets = new Option<int>("--ml-packets") { Description = "Packets after which a flow is judged (rows are taken there).", DefaultValueFactory = _ => new TrainingOptions().PacketThreshold };
        var exclude = new Option<string>("--exclude") { Description = "Regex of capture file names not to use (demo-mixed merges other captures).", DefaultValueFactory = _ => "^demo-mixed" };
        var threshold = new Option<float?>("--threshold") { Description = "Tunnel-probability threshold to ship (default: chosen by cross-validation on the training files)." };
        var maxFpr = new Option<double>("--max-fpr") { Description = "Cross-validated benign false-positive rate the chosen threshold must stay under.", DefaultValueFactory = _ => 0.005 };
        var maxWeight = new Option<float>("--max-class-weight")
        {
            Description = "Rows of rarer classes weigh up to this many benign rows, so classes weigh alike (1: no balancing).",
            DefaultValueFactory = _ => new TrainingOptions().MaxClassWeight,
        };
        var minPackets = new Option<int>("--min-packets") { Description = "Flows with fewer packets are never judged (nor trained on).", DefaultValueFactory = _ => new TrainingOptions().MinPackets };
        var trees = new Option<int>("--trees") { Description = "Trees per class model.", DefaultValueFactory = _ => new TrainingOptions().Trees };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree.", DefaultValueFactory = _ => new TrainingOptions().Leaves };
        var gateTrees = new Option<int?>("--gate-trees") { Description = "Trees of the benign model, run for every judged flow (default: --trees)." };
        var gateLeaves = new Option<int?>("--gate-leaves") { Description = "Leaves per tree of the benign model (default: --leaves)." };
        var perFile = new Option<int>("--max-rows-per-file") { Description = "Rows of one class from one capture weigh at most this many rows (0: no cap).", DefaultValueFactory = _ => new TrainingOptions().MaxRowsPerFile };
        var shapeSwaps = new Option<int>("--shape-swaps") { Description = "Copies of each tunnel row whose shape features come from a random benign row (0: none).", DefaultValueFactory = _ => new TrainingOptions().ShapeSwaps };
        var rows = new Option<string?>("--rows") { Description = "Also write every example (file, split side, mid-flow, class, packets, features) to this CSV, for analysis." };
        var cvFolds = new Option<int>("--cv-folds")
        {
            Description = "Also cross-validate over all files (K folds by capture file, each file tested once by a model that never saw it) and report it in the model card (0: no).",
            DefaultValueFactory = _ => 5,
        };
        var command = new Command("train", "Train the flow classifier from labelled captures and write the model and its model card.")
        {
            pcaps, labels, output, card, seed, testFraction, skips, packets, exclude, threshold, maxFpr, maxWeight, minPackets, trees, leaves, gateTrees, gateLeaves, perFile, shapeSwaps, rows, cvFolds,
        };
        command.SetAction(p => Run(
            console,
            p.GetValue(pcaps)!,
            p.GetValue(labels)!,
            p.GetValue(output)!,
            p.GetValue(card),
            new TrainingOptions
            {
                Seed = p.GetValue(seed),
                PacketThreshold = p.GetValue(packets),
                MaxClassWeight = Math.Max(1, p.GetValue(maxWeight)),
                MinPackets = Math.Max(1, p.GetValue(minPackets)),
                Trees = Math.Max(1, p.GetValue(trees)),
                Leaves = Math.Max(2, p.GetValue(leaves)),
                MaxRowsPerFile = Math.Max(0, p.GetValue(perFile)),
                ShapeSwaps = Math.Max(0, p.GetValue(shapeSwaps)),
                GateTrees = p.GetValue(gateTrees) is int gt ? Math.Max(1, gt) : null,
                GateLeaves = p.GetValue(gateLeaves) is int gl ? Math.Max(2, gl) : null,
            },
            p.GetValue(testFraction),
            p.GetValue(skips) ?? [],
            p.GetValue(exclude),
            p.GetValue(threshold),
            p.GetValue(maxFpr),
            Environment.GetCommandLineArgs(),
            p.GetValue(rows),
            p.GetValue(cvFolds)));
        return command;
    }

    public static int Run(CliConsole console, string[] paths, string[] labelPaths, string output, string? cardPath, TrainingOptions options, double testFraction, int[] skips, string? exclude, float? threshold, double maxFpr, string[] commandLine, string? rowsPath = null, int cvFolds = 0)
    {
        TextWriter err = console.Error;
        var labelSets = new List<(string, LabelSet)>();
        IReadOnlyList<string> files;
        try
        {
            foreach (string path in labelPaths)
            {
                labelSets.Add((path, LabelSet.Load(path)));
            }

            files = CaptureInputs.Expand(paths);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or CaptureException)
        {
            err.WriteLine("error: " + e.Message);
            return ExitCodes.CannotStart;
        }

        err.WriteLine("replaying " + files.Count.ToString(s_inv) + " captures (mid-flow copies: skip " + string.Join(",", skips) + ") ...");
        (List<Example> examples, List<DataFile> used, int unlabelled) = TrainingSet.Build(
            files, labelSets, skips, options.PacketThreshold, string.IsNullOrEmpty(exclude) ? null : new Regex(exclude, RegexOptions.CultureInvariant), err, () => DetectorRegistry.CreateDefault());
        if (examples.Count == 0 || examples.All(e => e.Class == FlowClasses.Benign))
        {
            err.WriteLine("error: no labelled tunnel flow in the captures given");
            return ExitCodes.CannotStart;
        }

        HashSet<string> testGroups = TrainingSet.TestGroups(examples, testFraction, options.Seed);
        List<Example> train = [.. examples.Where(e => !testGroups.Contains(e.Group))];
        List<Example> test = [.. examples.Where(e => testGroups.Contains(e.Group))];
        err.WriteLine(string.Create(s_inv, $"{examples.Count} examples ({unlabelled} unlabelled flows ignored) from {used.Count} files: {train.Count} train, {test.Count} test ({testGroups.Count} test groups)"));
        if (rowsPath is not null)
        {
            WriteRows(rowsPath, examples, testGroups);
        }

        // Threshold: grouped 4-fold cross-validation on the training files only (the test split is never looked at).
        (float chosen, string cvText) = threshold is float t ? (t, "given on the command line") : ChooseThreshold(train, options, maxFpr, err, rowsPath is null ? null : Path.ChangeExtension(rowsPath, ".oof.csv"));
        err.WriteLine("threshold " + chosen.ToString("0.###", s_inv) + " (" + cvText + ")");

        FlowClassifierModel model = FlowClassifierModel.Train(train.Where(e => e.Packets >= options.MinPackets).Select(e => e.ToRow()), options with { Threshold = chosen });
        List<float[]> testScores = model.ScoreAll(test.Select(e => e.ToRow()));
        var report = new ClassifierReport(test, testScores, model.Classes, chosen, options.MinPackets);
        if (rowsPath is not null)
        {
            WriteScores(Path.ChangeExtension(rowsPath, ".test.csv"), test, testScores, model.Classes);
        }

        ClassifierReport? crossValidation = null;
        if (cvFolds >= 2)
        {
            err.WriteLine(string.Create(s_inv, $"cross-validating over all files ({cvFolds} folds by capture file) ..."));
            Dictionary<string, int> foldOf = TrainingSet.Folds(examples, cvFolds, options.Seed);
            (List<Example> held, List<float[]> scores) = OutOfFold(examples, g => foldOf[g], cvFolds, options, model.Classes);
            crossValidation = new ClassifierReport(held, scores, model.Classes, chosen, options.MinPackets);
            if (rowsPath is not null)
            {
                WriteScores(Path.ChangeExtension(rowsPath, ".cv.csv"), held, scores, model.Classes);
            }
        }

        try
        {
            model.Save(output);
            cardPath ??= Path.ChangeExtension(output, ".md");
            using var writer = new StreamWriter(cardPath);
            ModelCard.Write(writer, model, options, commandLine, used, testGroups, train, test, report, cvText, skips, exclude, crossValidation, cvFolds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            err.WriteLine("error: " + e.Message);
            return ExitCodes.InputFailed;
        }

        (int flagged, int benign) = report.BenignFlagged();
        (int anyMid, _, int mid) = report.TunnelRecall(e => e.MidFlow);
        (int anyAll, int rightAll, int tunnels) = report.TunnelRecall();
        console.Out.WriteLine("wrote " + output + " and " + cardPath);
        console.Out.WriteLine(string.Create(s_inv, $"test split: tunnel recall {ClassifierReport.Pct(anyAll, tunnels)} (right class {ClassifierReport.Pct(rightAll, tunnels)}), mid-flow tunnel recall {ClassifierReport.Pct(anyMid, mid)} ({anyMid}/{mid}), benign flagged {ClassifierReport.Pct(flagged, benign)} ({flagged}/{benign})"));
        if (crossValidation is not null)
        {
            (int cvFlagged, int cvBenign) = crossValidation.BenignFlagged();
            (int cvMid, _, int cvMids) = crossValidation.TunnelRecall(e => e.MidFlow);
            console.Out.WriteLine(string.Create(s_inv, $"cross-validation over all files: mid-flow tunnel recall {ClassifierReport.Pct(cvMid, cvMids)} ({cvMid}/{cvMids}), benign flagged {ClassifierReport.Pct(cvFlagged, cvBenign)} ({cvFlagged}/{cvBenign})"));
            (int caught, int cvTunnels, int pipelineFlagged, int allBenign) = crossValidation.MidFlowPipeline();
            console.Out.WriteLine(string.Create(s_inv, $"  with the detectors first: mid-flow tunnel recall {ClassifierReport.Pct(caught, cvTunnels)} ({caught}/{cvTunnels}), benign flagged {ClassifierReport.Pct(pipelineFlagged, allBenign)} ({pipelineFlagged}/{allBenign})"));
        }
        return ExitCodes.Ok;
    }

    private static (float Threshold, string Text) ChooseThreshold(List<Example> train, TrainingOptions options, double maxFpr, TextWriter err, string? oofPath)
    {
        const int Folds = 4;
        string[] groups = [.. train.Select(e => e.Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        new Random(options.Seed + 1).Shuffle(groups);
        var foldOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groups.Length; i++)
        {
            foldOf[groups[i]] = i % Folds;
        }

        IReadOnlyList<string> classes = [.. FlowClasses.All.Where(c => train.Any(e => e.Class == c)).Order(StringComparer.Ordinal)];
        (List<Example> oof, List<float[]> scores) = OutOfFold(train, g => foldOf[g], Folds, options, classes);
        if (oof.Count == 0)
        {
            return (0.5f, "default 0.5: too few training files for cross-validation");
        }

        if (oofPath is not null)
        {
            WriteScores(oofPath, oof, scores, classes);
        }

        float[] grid = [0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.85f, 0.9f, 0.95f, 0.97f, 0.98f, 0.99f, 0.995f, 0.999f];
        foreach (float t in grid)
        {
            var r = new ClassifierReport(oof, scores, classes, t, options.MinPackets);
            (int flagged, int benign) = r.BenignFlagged();
            (int any, _, int tunnels) = r.TunnelRecall(e => e.MidFlow);
            err.WriteLine(string.Create(s_inv, $"  cv t={t:0.00}: benign flagged {ClassifierReport.Pct(flagged, benign)}, mid-flow tunnel recall {ClassifierReport.Pct(any, tunnels)}"));
            if (benign == 0 || flagged <= maxFpr * benign)
            {
                return (t, string.Create(s_inv, $"the lowest of {string.Join(", ", grid.Select(g => g.ToString("0.###", s_inv)))} whose out-of-fold benign FPR on the training files ({Folds} folds by capture file) is ≤ {maxFpr:0.###%}: {ClassifierReport.Pct(flagged, benign)}, mid-flow tunnel recall there {ClassifierReport.Pct(any, tunnels)}"));
            }
        }

        return (0.999f, "0.999: no grid threshold met the FPR bound in cross-validation");
    }

    /// <summary>
    /// Out-of-fold scores: each fold's examples scored by a model trained on the other folds'
    /// (capture files never on both sides), mapped onto <paramref name="classes"/>. A fold whose
    /// complement lacks benign or tunnel rows is left out.
    /// </summary>
    private static (List<Example> Held, List<float[]> Scores) OutOfFold(List<Example> examples, Func<string, int> foldOf, int folds, TrainingOptions options, IReadOnlyList<string> classes)
    {
        var held = new List<Example>();
        var scores = new List<float[]>();
        for (int f = 0; f < folds; f++)
        {
            List<Example> fit = [.. examples.Where(e => foldOf(e.Group) != f)];
            List<Example> fold = [.. examples.Where(e => foldOf(e.Group) == f)];
            if (fold.Count == 0 || !fit.Any(e => e.Class == FlowClasses.Benign) || fit.All(e => e.Class == FlowClasses.Benign))
            {
                continue;
            }

            FlowClassifierModel m = FlowClassifierModel.Train(fit.Where(e => e.Packets >= options.MinPackets).Select(e => e.ToRow()), options);
            held.AddRange(fold);
            scores.AddRange(m.ScoreAll(fold.Select(e => e.ToRow())).Select(row => Remap(row, m.Classes, classes)));
        }

        return (held, scores);
    }

    private static void WriteRows(string path, List<Example> examples, HashSet<string> testGroups)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("file,side,skipped,midflow,truth,class,packets," + string.Join(',', Engine.Features.FeatureSchema.Names));
        foreach (Example e in examples)
        {
            w.WriteLine(string.Create(s_inv, $"{e.File},{(testGroups.Contains(e.Group) ? "test" : "train")},{e.Skipped},{(e.MidFlow ? 1 : 0)},{e.Truth},{e.Class},{e.Packets},") + string.Join(',', e.Features.Select(f => f.ToString("G6", s_inv))));
        }
    }

    /// <summary>Per-example class probabilities (out-of-fold or test), for analysis.</summary>
    private static void WriteScores(string path, List<Example> examples, List<float[]> scores, IReadOnlyList<string> classes)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("file,class,midflow,packets," + string.Join(',', classes));
        for (int i = 0; i < examples.Count; i++)
        {
            w.WriteLine(string.Create(s_inv, $"{examples[i].File},{examples[i].Class},{(examples[i].MidFlow ? 1 : 0)},{examples[i].Packets},") + string.Join(',', scores[i].Select(x => x.ToString("G6", s_inv))));
        }
    }

    private static float[] Remap(float[] row, IReadOnlyList<string> from, IReadOnlyList<string> to)
    {
        var result = new float[to.Count];
        for (int i = 0; i < from.Count; i++)
        {
            int j = to.ToList().IndexOf(from[i]);
            if (j >= 0)
            {
                result[j] = row[i];
            }
        }

        return result;
    }
}
