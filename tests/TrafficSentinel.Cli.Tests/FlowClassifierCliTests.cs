using System.IO.Compression;
using TrafficSentinel.Classifier;

namespace TrafficSentinel.Cli.Tests;

/// <summary>The flow classifier's command-line options: --model, --no-ml, the schema guard, evaluate's two reports.</summary>
public sealed class FlowClassifierCliTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("ts-ml-cli-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string? RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "models", "flow-classifier.zip")) && File.Exists(Path.Combine(d.FullName, "captures", "labels.csv")))
            {
                return d.FullName;
            }
        }

        return null;
    }

    [SkippableFact]
    public void Replay_ModelOfAnotherSchema_ExitsWithAClearMessage()
    {
        string? root = RepoRoot();
        Skip.If(root is null, "models/flow-classifier.zip not found");
        string model = Path.Combine(_temp, "v999.zip");
        File.Copy(Path.Combine(root!, "models", "flow-classifier.zip"), model);
        using (ZipArchive zip = ZipFile.Open(model, ZipArchiveMode.Update))
        {
            ZipArchiveEntry entry = zip.GetEntry(ModelInfo.EntryName)!;
            string json;
            using (var reader = new StreamReader(entry.Open()))
            {
                json = reader.ReadToEnd();
            }

            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(ModelInfo.EntryName).Open());
            writer.Write(System.Text.RegularExpressions.Regex.Replace(json, "\"feature_schema_version\": \\d+", "\"feature_schema_version\": 999"));
        }

        CliResult result = CliRunner.Run(null, "replay", Path.Combine(root!, "captures", "benign-dns.pcap"), "--model", model);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("error: flow classifier: " + model + ": the model was trained on feature schema v999", result.Error, StringComparison.Ordinal);
        result.AssertNoStackTrace();
    }

    [SkippableFact]
    public void Evaluate_WithModel_ReportsClassifierAloneAndWholePipeline()
    {
        string? root = RepoRoot();
        Skip.If(root is null, "models/flow-classifier.zip not found");
        string captures = Path.Combine(root!, "captures");

        CliResult result = CliRunner.Run(null, "evaluate", "--labels", Path.Combine(captures, "labels.csv"),
            Path.Combine(captures, "wireguard-udp-51820-midflow.pcap"), Path.Combine(captures, "benign-ssh.pcap"), "--model", Path.Combine(root!, "models", "flow-classifier.zip"));

        Assert.Equal(0, result.ExitCode);
        int alone = result.Out.IndexOf("==== Flow classifier alone", StringComparison.Ordinal);
        int whole = result.Out.IndexOf("==== Whole pipeline", StringComparison.Ordinal);
        Assert.True(alone >= 0 && whole > alone, result.Out);
        Assert.Matches(@"(?m)^classifier +\d+ undecided flows handed to the classifier", result.Error);
    }

    [SkippableFact]
    public void Replay_NoMl_RunsWithoutTheClassifier()
    {
        string? root = RepoRoot();
        Skip.If(root is null, "models/flow-classifier.zip not found");

        CliResult result = CliRunner.Run(null, "replay", Path.Combine(root!, "captures", "benign-dns.pcap"), "--model", Path.Combine(root!, "models", "flow-classifier.zip"), "--no-ml", "-o", "jsonl:/dev/null");

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotMatch(@"(?m)^classifier ", result.Error);
    }

    [SkippableFact]
    public void Replay_ClassifierThreadAndInline_GiveTheSameAlerts()
    {
        string? root = RepoRoot();
        Skip.If(root is null, "models/flow-classifier.zip not found");
        string captures = Path.Combine(root!, "captures");
        string model = Path.Combine(root!, "models", "flow-classifier.zip");
        string threaded = Path.Combine(_temp, "thread.jsonl");
        string inline = Path.Combine(_temp, "inline.jsonl");

        CliResult a = CliRunner.Run(null, "replay", captures, "--model", model, "-o", "jsonl:" + threaded);
        CliResult b = CliRunner.Run(null, "replay", captures, "--model", model, "--ml-inline", "-o", "jsonl:" + inline);

        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        Assert.Matches(@"(?m)^classifier +.* on a classifier thread \(the packet thread waited for it (once|[\d,]+ times)\)", a.Error);
        Assert.Matches(@"(?m)^classifier +.* on the packet thread, model ", b.Error);
        string[] fromThread = [.. File.ReadAllLines(threaded).Order(StringComparer.Ordinal)];
        Assert.Contains(fromThread, line => line.Contains("\"method\":\"ml\"", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllLines(inline).Order(StringComparer.Ordinal), fromThread);
    }

    [SkippableFact]
    public void Train_OnTheCommittedCaptures_WritesAModelThatLoads_AndACardWithBothEvaluations()
    {
        string? root = RepoRoot();
        Skip.If(root is null, "captures/labels.csv not found");
        string captures = Path.Combine(root!, "captures");
        string model = Path.Combine(_temp, "small.zip");

        CliResult result = CliRunner.Run(null, "train", "--labels", Path.Combine(captures, "labels.csv"), captures,
            "--out", model, "--trees", "10", "--gate-trees", "5", "--cv-folds", "3");

        Assert.Equal(0, result.ExitCode);
        result.AssertNoStackTrace();
        Assert.Matches(@"(?m)^test split: tunnel recall .*, mid-flow tunnel recall .*, benign flagged ", result.Out);
        System.Text.RegularExpressions.Match classifier = System.Text.RegularExpressions.Regex.Match(
            result.Out, @"(?m)^cross-validation over all files: mid-flow tunnel recall \d+\.\d% \((\d+)/(\d+)\), benign flagged \d+\.\d% \((\d+)/(\d+)\)");
        Assert.True(classifier.Success, result.Out);

        // The whole pipeline: the same flows, the detectors first; they can only add catches (and false alarms).
        System.Text.RegularExpressions.Match pipeline = System.Text.RegularExpressions.Regex.Match(
            result.Out, @"(?m)^  with the detectors first: mid-flow tunnel recall \d+\.\d% \((\d+)/(\d+)\), benign flagged \d+\.\d% \((\d+)/(\d+)\)");
        Assert.True(pipeline.Success, result.Out);
        int Group(System.Text.RegularExpressions.Match m, int i) => int.Parse(m.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Group(classifier, 2), Group(pipeline, 2));
        Assert.Equal(Group(classifier, 4), Group(pipeline, 4));
        Assert.True(Group(pipeline, 1) >= Group(classifier, 1), "pipeline caught fewer mid-flow tunnels than the classifier alone");
        Assert.True(Group(pipeline, 3) >= Group(classifier, 3), "pipeline flagged fewer benign flows than the classifier alone");

        string card = File.ReadAllText(Path.ChangeExtension(model, ".md"));
        Assert.Contains("The whole pipeline (the detectors first", card, StringComparison.Ordinal);
        Assert.Contains("| mid-flow recall, detectors first |", card, StringComparison.Ordinal);
        Assert.Contains("## Test-split metrics", card, StringComparison.Ordinal);
        Assert.Contains("## Cross-validation over all files (3 folds)", card, StringComparison.Ordinal);
        Assert.Contains("By labelled truth", card, StringComparison.Ordinal);
        Assert.Matches(@"By capture: \d+ of the \d+ captures with tunnel flows had every one caught", card);
        Assert.Equal(FlowClasses.Benign, FlowClassifierModel.Load(model).Classes[0]);

        // The model it wrote runs in a replay.
        CliResult replay = CliRunner.Run(null, "replay", Path.Combine(captures, "benign-dns.pcap"), "--model", model, "-o", "jsonl:/dev/null");
        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("small.zip", replay.Error, StringComparison.Ordinal);
    }
}
