using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Transforms;
using TrafficSentinel.Engine.Features;

namespace TrafficSentinel.Classifier;

/// <summary>Training settings. Defaults are the shipped model's.</summary>
public sealed record TrainingOptions
{
    public int Seed { get; init; } = 20261122;

    public int Trees { get; init; } = 100;

    public int Leaves { get; init; } = 16;

    public int MinExamplesPerLeaf { get; init; } = 5;

    public float Threshold { get; init; } = 0.5f;

    public int PacketThreshold { get; init; } = 32;

    /// <summary>Weight each class's rows so that every class weighs the same in total (capped at <see cref="MaxClassWeight"/> per row).</summary>
    public bool BalanceClasses { get; init; } = true;

    public float MaxClassWeight { get; init; } = 20;
}

/// <summary>
/// A trained flow classifier: the ML.NET transformer (thread-safe) plus its <see cref="ModelInfo"/>.
/// Make one <see cref="MlFlowClassifier"/> per engine thread with <see cref="CreateClassifier"/>.
/// </summary>
public sealed class FlowClassifierModel
{
    public const string ScoreColumn = "Score";

    private FlowClassifierModel(MLContext context, ITransformer transformer, DataViewSchema inputSchema, ModelInfo info)
    {
        Context = context;
        Transformer = transformer;
        InputSchema = inputSchema;
        Info = info;
    }

    public MLContext Context { get; }

    public ITransformer Transformer { get; }

    public DataViewSchema InputSchema { get; }

    public ModelInfo Info { get; }

    /// <summary>Class names in score order.</summary>
    public IReadOnlyList<string> Classes => Info.Classes;

    /// <summary>Trains a multiclass model (one-versus-all FastTree, calibrated) on <paramref name="rows"/>.</summary>
    public static FlowClassifierModel Train(IEnumerable<FlowRow> rows, TrainingOptions options)
    {
        var context = new MLContext(seed: options.Seed);
        List<FlowRow> list = [.. rows];
        if (options.BalanceClasses)
        {
            Dictionary<string, int> counts = list.GroupBy(r => r.Label, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            float benignCount = counts.GetValueOrDefault(FlowClasses.Benign, 1);
            list = [.. list.Select(r => new FlowRow { Features = r.Features, Label = r.Label, Weight = Math.Min(options.MaxClassWeight, benignCount / counts[r.Label]) })];
        }

        IDataView data = context.Data.LoadFromEnumerable(list);
        var fastTree = new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinExamplesPerLeaf,
            NumberOfThreads = 1,
            Seed = options.Seed,
            FeatureColumnName = nameof(FlowRow.Features),
            ExampleWeightColumnName = nameof(FlowRow.Weight),
        };
        var pipeline = context.Transforms.Conversion
            .MapValueToKey(nameof(FlowRow.Label), keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(context.MulticlassClassification.Trainers.OneVersusAll(context.BinaryClassification.Trainers.FastTree(fastTree), labelColumnName: nameof(FlowRow.Label)));
        var transformer = pipeline.Fit(data);
        string[] classes = ClassesOf(transformer.GetOutputSchema(data.Schema));
        var info = new ModelInfo
        {
            FeatureSchemaVersion = FeatureSchema.Version,
            FeatureCount = FeatureSchema.Length,
            Classes = classes,
            Threshold = options.Threshold,
            PacketThreshold = options.PacketThreshold,
            Seed = options.Seed,
        };
        return new FlowClassifierModel(context, transformer, data.Schema, info);
    }

    /// <summary>The same model with other default thresholds.</summary>
    public FlowClassifierModel WithInfo(ModelInfo info) => new(Context, Transformer, InputSchema, info);

    /// <summary>Writes the ML.NET zip with <see cref="ModelInfo"/> as an extra entry.</summary>
    public void Save(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        Context.Model.Save(Transformer, InputSchema, path);
        using ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Update);
        ZipArchiveEntry entry = zip.CreateEntry(ModelInfo.EntryName, CompressionLevel.Optimal);
        using var writer = new StreamWriter(entry.Open());
        writer.Write(Info.ToJson());
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

        var context = new MLContext(seed: info.Seed);
        ITransformer transformer;
        DataViewSchema inputSchema;
        try
        {
            transformer = context.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException or ArgumentException)
        {
            throw new ModelSchemaException(path + ": not a readable ML.NET model: " + e.Message, e);
        }

        string[] classes = ClassesOf(transformer.GetOutputSchema(inputSchema));
        if (!classes.SequenceEqual(info.Classes, StringComparer.Ordinal) || !classes.Contains(FlowClasses.Benign, StringComparer.Ordinal))
        {
            throw new ModelSchemaException(path + ": the model's classes (" + string.Join(",", classes) + ") differ from its model-info (" + string.Join(",", info.Classes) + ")");
        }

        return new FlowClassifierModel(context, transformer, inputSchema, info);
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

    /// <summary>A classifier for one engine thread (its own prediction engine and buffers).</summary>
    public MlFlowClassifier CreateClassifier(float? threshold = null, int? packetThreshold = null) =>
        new(this, threshold ?? Info.Threshold, packetThreshold ?? Info.PacketThreshold);

    /// <summary>Class probabilities for many rows at once (training and evaluation only).</summary>
    public List<float[]> ScoreAll(IEnumerable<FlowRow> rows)
    {
        IDataView scored = Transformer.Transform(Context.Data.LoadFromEnumerable(rows));
        return [.. Context.Data.CreateEnumerable<FlowPrediction>(scored, reuseRowObject: false).Select(p => p.Score)];
    }

    /// <summary>
    /// The decision rule shared by the live classifier and evaluation: the tunnel probability is
    /// 1 − p(benign); the class is the most probable tunnel class.
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

    private static string[] ClassesOf(DataViewSchema outputSchema)
    {
        DataViewSchema.Column score = outputSchema[ScoreColumn];
        VBuffer<ReadOnlyMemory<char>> names = default;
        score.GetSlotNames(ref names);
        return [.. names.DenseValues().Select(n => n.ToString())];
    }
}
