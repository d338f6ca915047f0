using Microsoft.ML;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Classifier;

/// <summary>
/// The engine's <see cref="IFlowClassifier"/> over an ML.NET model. One per engine thread: it owns a
/// <see cref="PredictionEngine{TSrc, TDst}"/> (not thread-safe) and a reused input row and output, so a
/// prediction allocates nothing once warm (see ClassifierBenchmarks).
/// </summary>
public sealed class MlFlowClassifier : IFlowClassifier
{
    private readonly PredictionEngine<FlowRow, FlowPrediction> _engine;
    private readonly FlowRow _input = new();
    private FlowPrediction _output = new();
    private readonly int _benignIndex;
    private readonly int[] _labelOfClass;

    internal MlFlowClassifier(FlowClassifierModel model, float threshold, int packetThreshold)
    {
        Model = model;
        Threshold = threshold;
        PacketThreshold = packetThreshold;
        _engine = model.Context.Model.CreatePredictionEngine<FlowRow, FlowPrediction>(model.Transformer, model.InputSchema);
        var labels = new List<ClassifierLabel>();
        _labelOfClass = new int[model.Classes.Count];
        _benignIndex = -1;
        for (int i = 0; i < model.Classes.Count; i++)
        {
            string cls = model.Classes[i];
            if (cls == FlowClasses.Benign)
            {
                _benignIndex = i;
                _labelOfClass[i] = -1;
                continue;
            }

            _labelOfClass[i] = labels.Count;
            labels.Add(new ClassifierLabel(cls, FlowClasses.CategoryOf(cls)));
        }

        Labels = labels;
    }

    public FlowClassifierModel Model { get; }

    /// <summary>Tunnel probability from which a flow is reported.</summary>
    public float Threshold { get; }

    public int PacketThreshold { get; }

    public IReadOnlyList<ClassifierLabel> Labels { get; }

    public bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict)
    {
        FlowFeatures.Extract(in flow, _input.Features);
        int cls = Predict(out float tunnel);
        if (cls < 0 || tunnel < Threshold)
        {
            return false;
        }

        verdict.LabelIndex = _labelOfClass[cls];
        verdict.Probability = tunnel;
        return true;
    }

    /// <summary>Scores the features already in <see cref="Input"/>; returns the best tunnel class (model index).</summary>
    internal int Predict(out float tunnelProbability)
    {
        _engine.Predict(_input, ref _output);
        return FlowClassifierModel.Decide(_output.Score, _benignIndex, out tunnelProbability);
    }

    /// <summary>The reused input row (for benchmarks and tests).</summary>
    internal FlowRow Input => _input;

    internal float[] Scores => _output.Score;
}
