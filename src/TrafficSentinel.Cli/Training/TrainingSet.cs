using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TrafficSentinel.Capture;
using TrafficSentinel.Classifier;
using TrafficSentinel.Cli.Evaluation;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Training;

/// <summary>
/// One labelled example: a flow of one capture file, replayed whole or without its first <see cref="Skipped"/> packets.
/// <see cref="Detected"/> is the protocol the sensor's detectors reported for the flow in the same replay with them on ("" none).
/// </summary>
internal sealed record Example(string File, string Group, int Skipped, bool MidFlow, string Truth, string Class, long Packets, float[] Features, string Source = "", string Detected = "")
{
    public FlowRow ToRow() => new() { Features = Features, Label = Class, Group = Group };
}

/// <summary>A capture file used for training, with its hash for the model card.</summary>
internal sealed record DataFile(string Path, string Name, string Group, string Sha256, int Examples);

/// <summary>
/// Builds examples from labelled captures with the engine itself (no detectors, a
/// <see cref="FeatureRecorder"/> as classifier), so the rows are what the live sensor computes.
/// Each capture variant is replayed once more with the detectors, which tells for each example
/// whether a detector reports it: the whole pipeline catches a flow a detector or the classifier reports.
/// </summary>
internal static class TrainingSet
{
    private const string MidFlowSuffix = "-midflow";

    /// <summary>The split group of a file: a generator's mid-flow copy goes with its original.</summary>
    public static string GroupOf(string fileName)
    {
        string stem = System.IO.Path.GetFileNameWithoutExtension(fileName);
        return stem.EndsWith(MidFlowSuffix, StringComparison.Ordinal) ? stem[..^MidFlowSuffix.Length] : stem;
    }

    public static (List<Example> Examples, List<DataFile> Files, int Unlabelled) Build(
        IReadOnlyList<string> files, IReadOnlyList<(string Path, LabelSet Labels)> labelSets, IReadOnlyList<int> skips, int packetThreshold, Regex? exclude, TextWriter log,
        Func<DetectorSet>? detectors = null)
    {
        var names = new HashSet<string>(files.Select(f => System.IO.Path.GetFileNameWithoutExtension(f)), StringComparer.Ordinal);
        var examples = new List<Example>();
        var used = new List<DataFile>();
        int unlabelled = 0;
        foreach (string file in files)
        {
            string name = System.IO.Path.GetFileName(file);
            if (exclude is not null && exclude.IsMatch(name))
            {
                continue;
            }

            LabelSet[] candidates = LabelsFor(file, labelSets);
            string source = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))) ?? string.Empty;
            string stem = System.IO.Path.GetFileNameWithoutExtension(file);
            bool isMidFlowCopy = stem.EndsWith(MidFlowSuffix, StringComparison.Ordinal);
            bool hasMidFlowCopy = names.Contains(stem + MidFlowSuffix);
            var variants = new List<int> { 0 };
            if (!isMidFlowCopy && !hasMidFlowCopy)
            {
                variants.AddRange(skips.Where(k => k > 0));
            }

            int before = examples.Count;
            foreach (int skip in variants)
            {
                Dictionary<FlowName, string> detected = detectors is null ? [] : Detect(file, skip, detectors(), log);
                foreach (RecordedFlow flow in Replay(file, skip, packetThreshold, log))
                {
                    FlowLabel? label = null;
                    foreach (LabelSet set in candidates)
                    {
                        if (set.TryFind(name, flow.Flow.L4, flow.Flow.ClientIp, flow.Flow.ClientPort, flow.Flow.ServerIp, flow.Flow.ServerPort, out label))
                        {
                            break;
                        }
                    }

                    if (label is null)
                    {
                        unlabelled++;
                        continue;
                    }

                    string detector = detected.GetValueOrDefault(flow.Flow, string.Empty);
                    examples.Add(new Example(name, GroupOf(name), skip, isMidFlowCopy || skip > 0, label.Truth, FlowClasses.FromTruth(label.Truth), flow.Packets, flow.Features, source, detector));
                }
            }

            if (examples.Count > before)
            {
                used.Add(new DataFile(file, name, GroupOf(name), Sha256(file), examples.Count - before));
            }
        }

        return (examples, used, unlabelled);
    }

    /// <summary>The labels file in the capture's own folder if one was given, otherwise every given one.</summary>
    private static LabelSet[] LabelsFor(string file, IReadOnlyList<(string Path, LabelSet Labels)> sets)
    {
        string folder = System.IO.Path.GetFullPath(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file)) ?? ".");
        LabelSet[] own = [.. sets.Where(s => string.Equals(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(s.Path)), folder, StringComparison.Ordinal)).Select(s => s.Labels)];
        return own.Length > 0 ? own : [.. sets.Select(s => s.Labels)];
    }

    /// <summary>Replays one file through an engine with no detectors; with <paramref name="skip"/> &gt; 0 each flow's first packets are dropped.</summary>
    public static List<RecordedFlow> Replay(string file, int skip, int packetThreshold, TextWriter log)
    {
        var recorder = new FeatureRecorder(packetThreshold) { CurrentFile = System.IO.Path.GetFileName(file) };
        using var engine = new SensorEngine(new EngineOptions(), DetectorSet.Empty, null, recorder);
        Feed(engine, file, skip, log);
        return recorder.Flows;
    }

    /// <summary>Replays the same packets as <see cref="Replay"/> through <paramref name="detectors"/> (no classifier): the protocol each flow was first reported as.</summary>
    public static Dictionary<FlowName, string> Detect(string file, int skip, DetectorSet detectors, TextWriter log)
    {
        var observer = new DetectionRecorder();
        using var engine = new SensorEngine(new EngineOptions(), detectors, observer, null);
        Feed(engine, file, skip, log);
        return observer.Detected;
    }

    private static void Feed(SensorEngine engine, string file, int skip, TextWriter log)
    {
        var seen = new Dictionary<FlowKey, int>();
        try
        {
            using CaptureFileSource source = CaptureFileSource.Open(file);
            engine.SetLinkType(source.LinkType);
            while (source.ReadNext(out RawPacket packet) == ReadStatus.Packet)
            {
                if (skip > 0 && PacketDecoder.TryDecode(source.LinkType, packet.Data, out PacketInfo info) == DecodeStatus.Ok)
                {
                    FlowKey key = FlowKey.Create(in info, out _);
                    int n = seen.GetValueOrDefault(key) + 1;
                    seen[key] = n;
                    if (n <= skip)
                    {
                        continue;
                    }
                }

                engine.ProcessPacket(packet.Data, packet.TimestampMicros, packet.WireLength, packet.Number);
            }
        }
        catch (CaptureException e)
        {
            log.WriteLine("warning: " + e.Message);
        }

        engine.Finish();
    }

    /// <summary>
    /// Splits groups (capture files, a mid-flow copy with its original) into train and test with a
    /// fixed seed, per class of the group (its main tunnel class, or benign) so every class has
    /// files on both sides when it has at least two.
    /// </summary>
    public static HashSet<string> TestGroups(IReadOnlyList<Example> examples, double testFraction, int seed)
    {
        var test = new HashSet<string>(StringComparer.Ordinal);
        var random = new Random(seed);
        foreach (string[] groups in GroupsByClass(examples))
        {
            random.Shuffle(groups);
            int n = groups.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(groups.Length * testFraction));
            test.UnionWith(groups.Take(n));
        }

        return test;
    }

    /// <summary>
    /// Deals groups into <paramref name="folds"/> folds with a fixed seed, per class of the group
    /// (as <see cref="TestGroups"/>), so each fold holds about as many files of each class.
    /// </summary>
    public static Dictionary<string, int> Folds(IReadOnlyList<Example> examples, int folds, int seed)
    {
        var foldOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var random = new Random(seed + 2);
        int next = 0;
        foreach (string[] groups in GroupsByClass(examples))
        {
            random.Shuffle(groups);
            foreach (string group in groups)
            {
                foldOf[group] = next++ % folds;
            }
        }

        return foldOf;
    }

    /// <summary>The groups of each group class (a group's main tunnel class, or benign), classes and groups in ordinal order.</summary>
    private static IEnumerable<string[]> GroupsByClass(IReadOnlyList<Example> examples)
    {
        var groupClass = examples.GroupBy(e => e.Group, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => g.Where(e => e.Class != FlowClasses.Benign).GroupBy(e => e.Class, StringComparer.Ordinal).OrderByDescending(c => c.Count()).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key).FirstOrDefault() ?? FlowClasses.Benign,
            StringComparer.Ordinal);
        return groupClass.GroupBy(p => p.Value, p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Order(StringComparer.Ordinal).ToArray());
    }

    private static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
