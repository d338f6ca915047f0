using BenchmarkDotNet.Attributes;
using TrafficSentinel.Classifier;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Benchmarks;

/// <summary>
/// The flow classifier's predictions: the first stage alone (the benign model, run for every judged
/// flow; the baseline), every class model, and feature extraction plus prediction as the engine calls
/// it; reused input and scores, 0 B expected. The feature vectors are those of the in-memory corpus's
/// real flows at the point the engine judges them, taken in turn, so the trees' branches are as
/// unpredictable as in the sensor (one vector over and over would let the branch predictor learn its
/// path). Uses models/flow-classifier.zip of the checkout, or a small model trained on synthetic rows
/// when there is none.
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private MlFlowClassifier _classifier = null!;
    private FlowRecord _flow;
    private float[][] _vectors = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        FlowClassifierModel model = ClassifierReplayBenchmarks.LoadModel();
        _classifier = model.CreateClassifier();
        var recorder = new RecordingClassifier();
        var engine = new SensorEngine(InMemoryCapture.EngineOptions, new DetectorSet([]), null, recorder);
        long clock = 0;
        InMemoryCapture capture = InMemoryCapture.Load();
        capture.Replay(engine, ref clock, capture.Count);
        engine.Finish();
        _vectors = [.. recorder.Vectors];

        _flow.PacketsAtoB = 20;
        _flow.PacketsBtoA = 12;
        _flow.Features.Packets = 32;
        _flow.Features.ToServer.PayloadSum = 20 * 700;
        _flow.Features.ToClient.PayloadSum = 12 * 900;
        _flow.LastSeenMicros = 2_000_000;
    }

    /// <summary>The first stage alone (the benign model), what the sensor runs for every judged flow.</summary>
    [Benchmark(Baseline = true)]
    public float PredictTunnelProbability()
    {
        NextVector();
        return _classifier.TunnelProbability();
    }

    /// <summary>Every class model (the second stage runs them for flows above the threshold).</summary>
    [Benchmark]
    public int Predict()
    {
        NextVector();
        return _classifier.Predict(out _);
    }

    [Benchmark]
    public bool ExtractAndPredict()
    {
        ClassifierVerdict verdict = default;
        _flow.Features.Packets++;
        return _classifier.TryClassify(in _flow, ref verdict);
    }

    private void NextVector()
    {
        float[] vector = _vectors[_next];
        _next = _next + 1 == _vectors.Length ? 0 : _next + 1;
        vector.CopyTo(_classifier.Input.Features, 0);
    }

    /// <summary>Records the feature vector of every flow the engine would judge (setup only).</summary>
    private sealed class RecordingClassifier : IFlowClassifier
    {
        public List<float[]> Vectors { get; } = [];

        public int PacketThreshold => 32;

        public IReadOnlyList<ClassifierLabel> Labels { get; } = [];

        public bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict)
        {
            if (flow.Packets >= 3)
            {
                var features = new float[FeatureSchema.Length];
                FlowFeatures.Extract(in flow, features);
                Vectors.Add(features);
            }

            return false;
        }
    }
}

/// <summary>
/// The replay of the in-memory corpus with every detector, the flow classifier off (baseline) and
/// on: what the classifier adds per packet (feature accumulation and the judgements), 0 B expected.
/// </summary>
[MemoryDiagnoser]
public class ClassifierReplayBenchmarks : IDisposable
{
    private const int MaxPackets = 20_000;
    private InMemoryCapture _capture = null!;
    private SensorEngine _withoutMl = null!;
    private SensorEngine _withMl = null!;
    private SensorEngine _featuresOnly = null!;
    private SensorEngine _withMlThread = null!;
    private long _clockWithout;
    private long _clockWith;
    private long _clockFeatures;
    private long _clockThread;

    [GlobalSetup]
    public void Setup()
    {
        _capture = InMemoryCapture.Load();
        _withoutMl = new SensorEngine(InMemoryCapture.EngineOptions, DetectorRegistry.CreateDefault());
        _withMl = new SensorEngine(InMemoryCapture.EngineOptions, DetectorRegistry.CreateDefault(), null, LoadModel().CreateClassifier());
        _featuresOnly = new SensorEngine(InMemoryCapture.EngineOptions, DetectorRegistry.CreateDefault(), null, new NeverTunnel());
        _withMlThread = new SensorEngine(InMemoryCapture.EngineOptions with { ClassifierThread = true }, DetectorRegistry.CreateDefault(), null, LoadModel().CreateClassifier());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = MaxPackets)]
    public long ReplayWithoutMl() => Replay(_withoutMl, ref _clockWithout);

    [Benchmark(OperationsPerInvoke = MaxPackets)]
    public long ReplayWithMl() => Replay(_withMl, ref _clockWith);

    /// <summary>The classifier on a thread of its own (the sensor's default): the packet thread's share.</summary>
    [Benchmark(OperationsPerInvoke = MaxPackets)]
    public long ReplayWithMlThread() => Replay(_withMlThread, ref _clockThread);

    /// <summary>Feature accumulation alone: a classifier that judges every flow benign without looking.</summary>
    [Benchmark(OperationsPerInvoke = MaxPackets)]
    public long ReplayWithFeaturesOnly() => Replay(_featuresOnly, ref _clockFeatures);

    [GlobalCleanup]
    public void Dispose()
    {
        _withoutMl.Dispose();
        _withMl.Dispose();
        _featuresOnly.Dispose();
        _withMlThread.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>models/flow-classifier.zip of the checkout, or a small model trained on synthetic rows.</summary>
    internal static FlowClassifierModel LoadModel() => FindModel() is string path ? FlowClassifierModel.Load(path) : SyntheticModel();

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

    private sealed class NeverTunnel : IFlowClassifier
    {
        public int PacketThreshold => 32;

        public IReadOnlyList<ClassifierLabel> Labels { get; } = [];

        public bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict) => false;
    }
}
