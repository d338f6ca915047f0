using System.IO.Compression;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Classifier.Tests;

public sealed class ModelTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("ts-ml-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>Synthetic rows: the class is readable from features 0 and 1, with noise elsewhere.</summary>
    internal static List<FlowRow> TinyRows(int perClass = 60)
    {
        var random = new Random(5);
        string[] classes = [FlowClasses.Benign, FlowClasses.OpenVpn, FlowClasses.WireGuard];
        var rows = new List<FlowRow>();
        for (int c = 0; c < classes.Length; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                var features = new float[FeatureSchema.Length];
                for (int j = 0; j < features.Length; j++)
                {
                    features[j] = (float)random.NextDouble();
                }

                features[0] = (c * 500) + random.Next(100);
                features[1] = c == 2 ? 1 : 0;
                rows.Add(new FlowRow { Features = features, Label = classes[c] });
            }
        }

        return rows;
    }

    private static TrainingOptions Tiny => new() { Trees = 10, Leaves = 4, MinExamplesPerLeaf = 2 };

    [Fact]
    public void ShapeSwaps_KeepProtocolFeatures_TakeShapeFromBenignRowsOfTheSameTransport()
    {
        static FlowRow Row(string label, float transport, float mark) =>
            new() { Features = [.. Enumerable.Range(0, FeatureSchema.Length).Select(j => j == FeatureSchema.Transport ? transport : mark + j)], Label = label, Group = label + mark };
        List<FlowRow> rows = [Row(FlowClasses.Benign, 0, 1000), Row(FlowClasses.Benign, 1, 2000), Row(FlowClasses.WireGuard, 0, 3000), Row(FlowClasses.Tor, 1, 4000)];
        float[] weights = [1, 1, 0.5f, 2];

        (List<FlowRow> all, float[] allWeights) = FlowClassifierModel.WithShapeSwaps(rows, weights, copies: 3, seed: 1);

        Assert.Equal(4 + (2 * 3), all.Count);
        Assert.Equal(rows, all.Take(4));
        foreach ((FlowRow tunnel, float donorMark) in new[] { (rows[2], 1000f), (rows[3], 2000f) })
        {
            List<int> copies = [.. Enumerable.Range(4, 6).Where(i => all[i].Group == tunnel.Group)];
            Assert.Equal(3, copies.Count);
            Assert.Equal(weights[rows.IndexOf(tunnel)], copies.Sum(i => allWeights[i]), 5);
            foreach (FlowRow copy in copies.Select(i => all[i]))
            {
                Assert.Equal(tunnel.Label, copy.Label);
                Assert.Equal(tunnel.Features[FeatureSchema.ShapeFeatures..], copy.Features[FeatureSchema.ShapeFeatures..]);
                Assert.Equal(rows.First(r => r.Features[0] == donorMark).Features[..FeatureSchema.ShapeFeatures], copy.Features[..FeatureSchema.ShapeFeatures]);
            }
        }
    }

    [Fact]
    public void Model_SaveAndLoad_GivesTheSamePredictions()
    {
        List<FlowRow> rows = TinyRows();
        FlowClassifierModel trained = FlowClassifierModel.Train(rows, Tiny);
        Assert.Equal([FlowClasses.Benign, FlowClasses.OpenVpn, FlowClasses.WireGuard], trained.Classes);
        string path = Path.Combine(_temp, "m.zip");
        trained.Save(path);

        FlowClassifierModel loaded = FlowClassifierModel.Load(path);
        Assert.Equal(trained.Classes, loaded.Classes);
        Assert.Equal(trained.Ensembles.Select(e => e.Trees), loaded.Ensembles.Select(e => e.Trees));
        Assert.Equal(FeatureSchema.Version, loaded.Info.FeatureSchemaVersion);
        List<float[]> before = trained.ScoreAll(rows);
        List<float[]> after = loaded.ScoreAll(rows);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(before[i], after[i]);
        }

        // The live classifier (prediction engine, reused buffers) agrees with batch scoring, and the classes come out right.
        MlFlowClassifier live = loaded.CreateClassifier(threshold: 0.5f);
        int correct = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].Features.CopyTo(live.Input.Features, 0);
            int cls = live.Predict(out float tunnel);
            AssertClose(after[i], live.Scores);
            string predicted = tunnel >= 0.5f ? loaded.Classes[cls] : FlowClasses.Benign;
            correct += predicted == rows[i].Label ? 1 : 0;
        }

        Assert.True(correct >= rows.Count * 0.95, correct + " of " + rows.Count);
        Assert.Equal(["openvpn", "wireguard"], live.Labels.Select(l => l.Protocol));
    }

    /// <summary>The flat trees the sensor walks give ML.NET's own calibrated probabilities (batch scoring through the ML.NET pipeline).</summary>
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int c = 0; c < expected.Length; c++)
        {
            Assert.True(Math.Abs(expected[c] - actual[c]) <= 1e-5f, $"class {c}: ML.NET {expected[c]:R}, trees {actual[c]:R}");
        }
    }

    [Fact]
    public void Ensembles_MatchMlNetOnRowsTheyWereNotTrainedOn()
    {
        // Overlapping classes (the class follows a noisy sum of several features), so the trees split on many features and the probabilities spread out.
        static List<FlowRow> Noisy(int count, int seed)
        {
            var random = new Random(seed);
            string[] classes = [FlowClasses.Benign, FlowClasses.OpenVpn, FlowClasses.WireGuard];
            var rows = new List<FlowRow>();
            for (int i = 0; i < count; i++)
            {
                var features = new float[FeatureSchema.Length];
                for (int j = 0; j < features.Length; j++)
                {
                    features[j] = (float)random.NextDouble();
                }

                double sum = features[2] + features[5] + features[40] + (0.5 * random.NextDouble());
                rows.Add(new FlowRow { Features = features, Label = classes[sum < 1.4 ? 0 : sum < 2.0 ? 1 : 2] });
            }

            return rows;
        }

        FlowClassifierModel model = FlowClassifierModel.Train(Noisy(300, 5), new TrainingOptions { Trees = 40, Leaves = 8, MinExamplesPerLeaf = 2 });
        List<FlowRow> probe = Noisy(200, 6);
        List<float[]> expected = model.ScoreAll(probe);
        MlFlowClassifier live = model.CreateClassifier();
        var distinct = new HashSet<float>();
        for (int i = 0; i < probe.Count; i++)
        {
            probe[i].Features.CopyTo(live.Input.Features, 0);
            live.Predict(out _);
            AssertClose(expected[i], live.Scores);
            distinct.Add(expected[i][0]);
        }

        Assert.True(model.Ensembles.All(e => e.Trees == 40));
        Assert.True(distinct.Count >= 50, "the probe rows reach only " + distinct.Count + " benign probabilities: too few leaves compared");
    }

    [Fact]
    public void Training_IsReproducible()
    {
        List<FlowRow> rows = TinyRows();
        float[] a = FlowClassifierModel.Train(rows, Tiny).ScoreAll(rows)[7];
        float[] b = FlowClassifierModel.Train(rows, Tiny).ScoreAll(rows)[7];
        Assert.Equal(a, b);
    }

    [Fact]
    public void Load_ModelOfAnotherSchemaVersion_FailsWithAClearMessage()
    {
        string path = Path.Combine(_temp, "old.zip");
        FlowClassifierModel.Train(TinyRows(20), Tiny).Save(path);
        using (ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            ZipArchiveEntry entry = zip.GetEntry(ModelInfo.EntryName)!;
            string json;
            using (var reader = new StreamReader(entry.Open()))
            {
                json = reader.ReadToEnd();
            }

            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(ModelInfo.EntryName).Open());
            writer.Write(json.Replace("\"feature_schema_version\": " + FeatureSchema.Version, "\"feature_schema_version\": 999", StringComparison.Ordinal));
        }

        ModelSchemaException e = Assert.Throws<ModelSchemaException>(() => FlowClassifierModel.Load(path));
        Assert.Contains("trained on feature schema v999", e.Message, StringComparison.Ordinal);
        Assert.Contains("this sensor computes schema v" + FeatureSchema.Version, e.Message, StringComparison.Ordinal);
        Assert.Contains("retrain it with 'sentinel train'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ZipWithoutModelInfo_FailsWithAClearMessage()
    {
        string path = Path.Combine(_temp, "plain.zip");
        FlowClassifierModel.Train(TinyRows(20), Tiny).Save(path);
        using (ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.GetEntry(ModelInfo.EntryName)!.Delete();
        }

        ModelSchemaException e = Assert.Throws<ModelSchemaException>(() => FlowClassifierModel.Load(path));
        Assert.Contains("not a TrafficSentinel flow-classifier model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ModelWithoutFlatTrees_FailsWithAClearMessage()
    {
        string path = Path.Combine(_temp, "notrees.zip");
        FlowClassifierModel.Train(TinyRows(20), Tiny).Save(path);
        using (ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.GetEntry("TrafficSentinel/trees-openvpn.bin")!.Delete();
        }

        ModelSchemaException e = Assert.Throws<ModelSchemaException>(() => FlowClassifierModel.Load(path));
        Assert.Contains("the trees of class openvpn are missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadTrees_SplitOnAFeatureBeyondTheVector_IsRefused()
    {
        TreeEnsemble trees = FlowClassifierModel.Train(TinyRows(), Tiny).Ensembles[0];
        Assert.True(trees.MaxFeature >= 0);
        using var buffer = new MemoryStream();
        trees.Write(buffer);
        buffer.Position = 0;
        Assert.Equal(trees.MaxFeature, TreeEnsemble.Read(buffer, FeatureSchema.Length).MaxFeature);
        buffer.Position = 0;
        Assert.Throws<InvalidDataException>(() => TreeEnsemble.Read(buffer, trees.MaxFeature));
        Assert.Throws<InvalidDataException>(() => TreeEnsemble.Read(new MemoryStream(buffer.ToArray()[..40]), FeatureSchema.Length));
    }

    [Fact]
    public void Prediction_AllocatesNothingOnceWarm()
    {
        string path = Path.Combine(_temp, "m.zip");
        FlowClassifierModel.Train(TinyRows(), Tiny).Save(path);
        MlFlowClassifier live = FlowClassifierModel.Load(path).CreateClassifier();
        for (int i = 0; i < 100; i++)
        {
            live.Input.Features[0] = i * 10;
            live.Predict(out _);
            live.TunnelProbability();
        }

        float sum = 0;
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                live.Input.Features[0] = i;
                live.Predict(out _);
                sum += live.TunnelProbability();
            }
        }));
        Assert.True(sum > 0);
    }

    [SkippableFact]
    public void CommittedModel_LoadsWithThisSchema()
    {
        string? dir = AppContext.BaseDirectory;
        string? model = null;
        for (var d = new DirectoryInfo(dir); d is not null && model is null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "models", "flow-classifier.zip");
            model = File.Exists(candidate) ? candidate : null;
        }

        Skip.If(model is null, "models/flow-classifier.zip not found above " + dir);
        FlowClassifierModel loaded = FlowClassifierModel.Load(model!);
        Assert.Contains(FlowClasses.Benign, loaded.Classes);
        Assert.Contains(FlowClasses.OpenVpn, loaded.Classes);
    }
}
