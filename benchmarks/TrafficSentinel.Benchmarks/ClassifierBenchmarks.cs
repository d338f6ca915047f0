using BenchmarkDotNet.Attributes;
using TrafficSentinel.Classifier;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// The flow classifier: one prediction with every class model and with the first stage alone
/// (reused input and scores, 0 B expected), feature extraction plus prediction as the engine calls it, and the replay of the in-memory corpus with
/// the classifier off (baseline) and on. Uses models/flow-classifier.zip of the checkout, or a
/// small model trained on synthetic rows when there is none.
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private const int MaxPackets = 20_000;
    private MlFlowClassifier _classifier = null!;
    private FlowRecord _flow;
    private InMemoryCapture _capture = null!;
    private SensorEngine _withoutMl = null!;
    private SensorEngine _withMl = null!;
    private long _clockWithout;
    private long _clockWith;

    [GlobalSetup]
    public void Setup()
    {
        FlowClassifierModel model = FindModel() is string path ? FlowClassifierModel.Load(path) : SyntheticModel();
        _classifier = model.CreateClassifier();
        var random = new Random(3);
        for (int i = 0; i < FeatureSchema.Length; i++)
        {
            _classifier.Input.Features[i] = (float)(random.NextDouble() * 1000);
        }

        _flow.PacketsAtoB = 20;
        _flow.PacketsBtoA = 12;
        _flow.Features.Packets = 32;
        _flow.Features.ToServer.PayloadSum = 20 * 700;
        _flow.Features.ToClient.PayloadSum = 12 * 900;
        _flow.LastSeenMicros = 2_000_000;

        _capture = InMemoryCapture.Load();
        _withoutMl = new SensorEngine(InMemoryCapture.EngineOptions, DetectorRegistry.CreateDefault());
        _withMl = new SensorEngine(InMemoryCapture.EngineOptions, DetectorRegistry.CreateDefault(), null, model.CreateClassifier());
    }

    [Benchmark]
    public int Predict()
    {
        _classifier.Input.Features[0] += 1;
        return _classifier.Predict(out _);
    }

    /// <summary>The first stage alone (the benign model), what the sensor runs for every judged flow.</summary>
    [Benchmark]
    public float PredictTunnelProbability()
    {
        _classifier.Input.Features[0] += 1;
        return _classifier.TunnelProbability();
    }

    [Benchmark]
    public bool ExtractAndPredict()
    {
        ClassifierVerdict verdict = default;
        _flow.Features.Packets++;
        return _classifier.TryClassify(in _flow, ref verdict);
    }

    [Benchmark(OperationsPerInvoke = MaxPackets)]
    public long ReplayWithoutMl() => Replay(_withoutMl, ref _clockWithout);

    [Benchmark(OperationsPerInvoke = MaxPackets)]
    public long ReplayWithMl() => Replay(_withMl, ref _clockWith);

    private long Replay(SensorEngine engine, ref long clock)
    {
        _capture.Replay(engine, ref clock, MaxPackets);
        return engine.FlowsClassified;
    }

    private static string? FindModel()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "models", "flow-classifier.zip");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static FlowClassifierModel SyntheticModel()
    {
        var random = new Random(5);
        string[] classes = [FlowClasses.Benign, FlowClasses.OpenVpn, FlowClasses.WireGuard];
        var rows = new List<FlowRow>();
        for (int i = 0; i < 300; i++)
        {
            var features = new float[FeatureSchema.Length];
            for (int j = 0; j < features.Length; j++)
            {
                features[j] = (float)random.NextDouble();
            }

            features[0] = (i % 3 * 500) + random.Next(100);
            rows.Add(new FlowRow { Features = features, Label = classes[i % 3] });
        }

        return FlowClassifierModel.Train(rows, new TrainingOptions { Trees = 100, Leaves = 16 });
    }
}
