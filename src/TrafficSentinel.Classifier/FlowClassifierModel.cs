using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using TrafficSentinel.Engine.Features;

namespace TrafficSentinel.Classifier;

/// <summary>Training settings. Defaults are the shipped model's.</summary>
public sealed record TrainingOptions
{
    public int Seed { get; init; } = 20261122;

    public int Trees { get; init; } = 100;

    public int Leaves { get; init; } = 16;

    public int MinExamplesPerLeaf { get; init; } = 5;

    /// <summary>Trees and leaves of the benign model, the first stage the sensor runs for every judged flow (null: <see cref="Trees"/>, <see cref="Leaves"/>).</summary>
    public int? GateTrees { get; init; }

    public int? GateLeaves { get; init; }

    public float Threshold { get; init; } = 0.5f;

    public int PacketThreshold { get; init; } = 32;

    /// <summary>Flows with fewer packets are not judged (and not trained on).</summary>
    public int MinPackets { get; init; } = 3;

    /// <summary>Weight each class's rows so that every class weighs the same in total (capped at <see cref="MaxClassWeight"/> per row).</summary>
    public bool BalanceClasses { get; init; } = true;

    public float MaxClassWeight { get; init; } = 20;

    /// <summary>
    /// Rows of one class from one capture (<see cref="FlowRow.Group"/>) weigh at most this many rows in
    /// total, so a capture with many flows (say 120 proxy flows of one nDPI file) does not define its
    /// class alone; 0: no cap. 5 was chosen by the out-of-fold mid-flow tunnel recall on the training
    /// files at a benign FPR ≤ 0.5 % (70.8 %, against 69.2 % with 2, 66.7 % with 20 and with no cap).
    /// </summary>
    public int MaxRowsPerFile { get; init; } = 5;

    /// <summary>
    /// Shape-swapped copies of every tunnel row (0: none). A copy keeps the row's protocol features
    /// (framing, bit density, block alignment, transport) and takes its shape features
    /// (<see cref="FeatureSchema.ShapeFeatures"/>) from a random benign row of the same transport. The
    /// copies of a row weigh what the row weighs. They teach the trees that a tunnel's framing marks it
    /// whatever it carries, instead of the shape of the few workloads in the training captures.
    /// </summary>
    public int ShapeSwaps { get; init; }
}

/// <summary>
/// A trained flow classifier: one calibrated FastTree binary model per class ("this class or not"),
/// the benign one doubling as the tunnel/benign model, plus its <see cref="ModelInfo"/>. ML.NET's own
/// one-versus-all trainer is not used because its predictor runs the class models with
/// Parallel.For (about 1.7 kB allocated and a thread-pool hop per prediction). The live sensor does
/// not use ML.NET prediction engines either: each class model is also stored as a flat
/// <see cref="TreeEnsemble"/> (the same trees and calibrator), which <see cref="MlFlowClassifier"/>
/// walks directly; loading reads only those, and the ML.NET models are deserialised on first use of
/// <see cref="Transformers"/> (batch scoring in training and evaluation).
/// </summary>
public sealed class FlowClassifierModel
{
    private const string ClassEntryPrefix = "TrafficSentinel/class-";
    private const string TreesEntryPrefix = "TrafficSentinel/trees-";

    // A class, not a tuple: a sensor that never trains or evaluates then never loads the ML.NET assemblies (40 ms of start-up).
    private readonly Lazy<MlNetModels> _ml;

    private FlowClassifierModel(Lazy<MlNetModels> ml, TreeEnsemble[] ensembles, ModelInfo info)
    {
        _ml = ml;
        Ensembles = ensembles;
        Info = info;
    }

    public MLContext Context => _ml.Value.Context;

    /// <summary>One binary model per class, in <see cref="Classes"/> order (ML.NET, loaded on first use).</summary>
    public IReadOnlyList<ITransformer> Transformers => _ml.Value.Transformers;

    public DataViewSchema InputSchema => _ml.Value.Schema;

    /// <summary>The same class models as flat trees, in <see cref="Classes"/> order (what the live sensor evaluates).</summary>
    public IReadOnlyList<TreeEnsemble> Ensembles { get; }

    public ModelInfo Info { get; }

    /// <summary>Class names in score order.</summary>
    public IReadOnlyList<string> Classes => Info.Classes;

    /// <summary>Trains one calibrated FastTree binary model per class present in <paramref name="rows"/>.</summary>
    public static FlowClassifierModel Train(IEnumerable<FlowRow> rows, TrainingOptions options)
    {
        var context = new MLContext(seed: options.Seed);
        List<FlowRow> list = [.. rows];
        string[] classes = [.. list.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (!classes.Contains(FlowClasses.Benign, StringComparer.Ordinal) || classes.Length < 2)
        {
            throw new ArgumentException("training needs benign rows and at least one tunnel class", nameof(rows));
        }

        // Per-file cap first (a row's share of its file's capped weight), then class balance on those weights.
        Dictionary<(string, string), int> perFile = list.GroupBy(r => (r.Label, r.Group)).ToDictionary(g => g.Key, g => g.Count());
        float[] fileWeight = [.. list.Select(r => options.MaxRowsPerFile > 0 ? Math.Min(1f, options.MaxRowsPerFile / (float)perFile[(r.Label, r.Group)]) : 1f)];
        if (options.ShapeSwaps > 0)
        {
            (list, fileWeight) = WithShapeSwaps(list, fileWeight, options.ShapeSwaps, options.Seed);
        }

        Dictionary<string, float> counts = new(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            counts[list[i].Label] = counts.GetValueOrDefault(list[i].Label) + fileWeight[i];
        }

        float benignCount = counts[FlowClasses.Benign];
        var transformers = new ITransformer[classes.Length];
        var ensembles = new TreeEnsemble[classes.Length];
        DataViewSchema? schema = null;
        for (int c = 0; c < classes.Length; c++)
        {
            string cls = classes[c];
            IEnumerable<BinaryRow> binary = list.Select((r, i) => new BinaryRow
            {
                Features = r.Features,
                Label = r.Label == cls,
                Weight = fileWeight[i] * (options.BalanceClasses ? Math.Min(options.MaxClassWeight, benignCount / counts[r.Label]) : 1),
            });
            IDataView data = context.Data.LoadFromEnumerable(binary);
            var trainer = context.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                NumberOfTrees = cls == FlowClasses.Benign ? options.GateTrees ?? options.Trees : options.Trees,
                NumberOfLeaves = cls == FlowClasses.Benign ? options.GateLeaves ?? options.Leaves : options.Leaves,
                MinimumExampleCountPerLeaf = options.MinExamplesPerLeaf,
                NumberOfThreads = 1,
                Seed = options.Seed,
                FeatureColumnName = nameof(BinaryRow.Features),
                LabelColumnName = nameof(BinaryRow.Label),
                ExampleWeightColumnName = nameof(BinaryRow.Weight),
            });
            transformers[c] = trainer.Fit(data);
            schema ??= context.Data.LoadFromEnumerable(new List<FlowRow>()).Schema;
            if (!TreeEnsemble.TryFrom(transformers[c], out ensembles[c]))
            {
                throw new InvalidOperationException("the trainer did not produce a calibrated FastTree model");
            }
        }

        var info = new ModelInfo
        {
            FeatureSchemaVersion = FeatureSchema.Version,
            FeatureCount = FeatureSchema.Length,
            Classes = classes,
            Threshold = options.Threshold,
            PacketThreshold = options.PacketThreshold,
            MinPackets = options.MinPackets,
            Seed = options.Seed,
        };
        return new FlowClassifierModel(new(new MlNetModels(context, transformers, schema!)), ensembles, info);
    }

    /// <summary>The rows plus <paramref name="copies"/> shape-swapped copies of each tunnel row (<see cref="TrainingOptions.ShapeSwaps"/>).</summary>
    internal static (List<FlowRow> Rows, float[] Weights) WithShapeSwaps(List<FlowRow> rows, float[] weights, int copies, int seed)
    {
        var random = new Random(seed);
        Dictionary<float, FlowRow[]> donors = rows
            .Where(r => r.Label == FlowClasses.Benign)
            .GroupBy(r => r.Features[FeatureSchema.Transport])
            .ToDictionary(g => g.Key, g => g.ToArray());
        List<FlowRow> all = [.. rows];
        List<float> allWeights = [.. weights];
        for (int i = 0; i < rows.Count; i++)
        {
            FlowRow row = rows[i];
            if (row.Label == FlowClasses.Benign || !donors.TryGetValue(row.Features[FeatureSchema.Transport], out FlowRow[]? pool))
            {
                continue;
            }

            for (int k = 0; k < copies; k++)
            {
                float[] features = [.. row.Features];
                Array.Copy(pool[random.Next(pool.Length)].Features, features, FeatureSchema.ShapeFeatures);
                all.Add(new FlowRow { Features = features, Label = row.Label, Group = row.Group });
                allWeights.Add(weights[i] / copies);
            }
        }

        return (all, [.. allWeights]);
    }

    /// <summary>The same model with other default thresholds.</summary>
    public FlowClassifierModel WithInfo(ModelInfo info) => new(_ml, [.. Ensembles], info);

    /// <summary>Writes one zip: <see cref="ModelInfo"/> plus each class's ML.NET model as an inner zip.</summary>
    public void Save(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        using (var writer = new StreamWriter(zip.CreateEntry(ModelInfo.EntryName, CompressionLevel.Optimal).Open()))
        {
            writer.Write(Info.ToJson());
        }

        for (int c = 0; c < Classes.Count; c++)
        {
            using var inner = new MemoryStream();
            Context.Model.Save(Transformers[c], InputSchema, inner);
            using (Stream entry = zip.CreateEntry(ClassEntryPrefix + Classes[c] + ".zip", CompressionLevel.NoCompression).Open())
            {
                inner.Position = 0;
                inner.CopyTo(entry);
            }

            using Stream trees = zip.CreateEntry(TreesEntryPrefix + Classes[c] + ".bin", CompressionLevel.Optimal).Open();
            Ensembles[c].Write(trees);
        }
    }

    /// <summary>
    /// Loads a model file; a model of another feature schema version (or without one) fails with
    /// <see cref="ModelSchemaException"/> and a message that says what to do.
    /// </summary>
    public static FlowClassifierModel Load(string path)
    {
        ModelInfo info = ReadInfo(path);
        if (info.FeatureSchemaVersion != FeatureSchema.Version || info.FeatureCount != FeatureSchema.Length)
        {
            throw new ModelSchemaException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: the model was trained on feature schema v{info.FeatureSchemaVersion} ({info.FeatureCount} features), but this sensor computes schema v{FeatureSchema.Version} ({FeatureSchema.Length} features); retrain it with 'sentinel train' (see models/flow-classifier.md) or use --no-ml"));
        }

        if (!info.Classes.Contains(FlowClasses.Benign, StringComparer.Ordinal))
        {
            throw new ModelSchemaException(path + ": the model has no benign class");
        }

        var ensembles = new TreeEnsemble[info.Classes.Count];
        try
        {
            using ZipArchive zip = ZipFile.OpenRead(path);
            for (int c = 0; c < ensembles.Length; c++)
            {
                using MemoryStream buffer = CopyEntry(zip, TreesEntryPrefix + info.Classes[c] + ".bin", path + ": the trees of class " + info.Classes[c] + " are missing; retrain it with 'sentinel train'");
                ensembles[c] = TreeEnsemble.Read(buffer, FeatureSchema.Length);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new ModelSchemaException(path + ": not a readable flow-classifier model: " + e.Message, e);
        }

        return new FlowClassifierModel(new(() => LoadMl(path, info)), ensembles, info);
    }

    /// <summary>The ML.NET class models of a model file (training and evaluation only).</summary>
    private static MlNetModels LoadMl(string path, ModelInfo info)
    {
        var context = new MLContext(seed: info.Seed);
        var transformers = new ITransformer[info.Classes.Count];
        DataViewSchema? schema = null;
        try
        {
            using ZipArchive zip = ZipFile.OpenRead(path);
            for (int c = 0; c < transformers.Length; c++)
            {
                using MemoryStream inner = CopyEntry(zip, ClassEntryPrefix + info.Classes[c] + ".zip", path + ": the model of class " + info.Classes[c] + " is missing");
                transformers[c] = context.Model.Load(inner, out DataViewSchema inputSchema);
                schema ??= inputSchema;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException or ArgumentException)
        {
            throw new ModelSchemaException(path + ": not a readable ML.NET model: " + e.Message, e);
        }

        return new MlNetModels(context, transformers, schema!);
    }

    /// <summary>An entry of the model zip copied into memory (positioned at 0); <paramref name="missing"/> is the message when it is absent.</summary>
    private static MemoryStream CopyEntry(ZipArchive zip, string name, string missing)
    {
        ZipArchiveEntry entry = zip.GetEntry(name) ?? throw new ModelSchemaException(missing);
        var buffer = new MemoryStream();
        using (Stream s = entry.Open())
        {
            s.CopyTo(buffer);
        }

        buffer.Position = 0;
        return buffer;
    }

    /// <summary>Reads only the <see cref="ModelInfo"/> of a model file.</summary>
    public static ModelInfo ReadInfo(string path)
    {
        try
        {
            using ZipArchive zip = ZipFile.OpenRead(path);
            ZipArchiveEntry entry = zip.GetEntry(ModelInfo.EntryName)
                ?? throw new ModelSchemaException(path + ": no " + ModelInfo.EntryName + " inside: not a TrafficSentinel flow-classifier model (or one from before feature schemas); retrain it with 'sentinel train'");
            using var reader = new StreamReader(entry.Open());
            return ModelInfo.FromJson(reader.ReadToEnd()) ?? throw new ModelSchemaException(path + ": empty model-info");
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException)
        {
            throw new ModelSchemaException(path + ": not a flow-classifier model: " + e.Message, e);
        }
    }

    /// <summary>A classifier for one engine thread (its own input and score buffers; the trees are shared).</summary>
    public MlFlowClassifier CreateClassifier(float? threshold = null, int? packetThreshold = null) =>
        new(this, threshold ?? Info.Threshold, packetThreshold ?? Info.PacketThreshold);

    /// <summary>Per-class probabilities for many rows at once (training and evaluation only).</summary>
    public List<float[]> ScoreAll(IEnumerable<FlowRow> rows)
    {
        List<FlowRow> list = [.. rows];
        var result = list.Select(_ => new float[Classes.Count]).ToList();
        IDataView data = Context.Data.LoadFromEnumerable(list);
        for (int c = 0; c < Classes.Count; c++)
        {
            IDataView scored = Transformers[c].Transform(data);
            int i = 0;
            foreach (BinaryPrediction p in Context.Data.CreateEnumerable<BinaryPrediction>(scored, reuseRowObject: true))
            {
                result[i++][c] = p.Probability;
            }
        }

        return result;
    }

    /// <summary>
    /// The decision rule shared by the live classifier and evaluation: the tunnel probability is
    /// 1 − P(benign) of the benign-or-not model; the class is the tunnel class whose model is surest.
    /// </summary>
    public static int Decide(ReadOnlySpan<float> scores, int benignIndex, out float tunnelProbability)
    {
        int best = -1;
        float bestScore = float.MinValue;
        float benign = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (i == benignIndex)
            {
                benign = scores[i];
            }
            else if (scores[i] > bestScore)
            {
                bestScore = scores[i];
                best = i;
            }
        }

        tunnelProbability = Math.Clamp(1 - benign, 0, 1);
        return best;
    }

    /// <summary>The ML.NET side of a model: its context, one transformer per class and their input schema.</summary>
    private sealed record MlNetModels(MLContext Context, ITransformer[] Transformers, DataViewSchema Schema);
}
