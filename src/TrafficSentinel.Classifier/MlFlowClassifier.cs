using Microsoft.ML;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Classifier;

/// <summary>
/// The engine's <see cref="IFlowClassifier"/> over an ML.NET model. One per engine thread: it owns a
/// <see cref="PredictionEngine{TSrc, TDst}"/> per class model (not thread-safe) and reused input and outputs, so a
/// prediction allocates nothing once warm (see ClassifierBenchmarks).
/// </summary>
public sealed class MlFlowClassifier : IFlowClassifier
{
    private readonly PredictionEngine<FlowRow, BinaryPrediction>[] _engines;
    private readonly FlowRow _input = new();
    private readonly BinaryPrediction[] _outputs;
    private readonly float[] _scores;
    private readonly int _benignIndex;
    private readonly int[] _labelOfClass;

    internal MlFlowClassifier(FlowClassifierModel model, float threshold, int packetThreshold)
    {
        Model = model;
        Threshold = threshold;
        PacketThreshold = packetThreshold;
        _engines = [.. model.Transformers.Select(t => model.Context.Model.CreatePredictionEngine<FlowRow, BinaryPrediction>(t, model.InputSchema))];
        _outputs = [.. model.Transformers.Select(_ => new BinaryPrediction())];
        _scores = new float[model.Transformers.Count];
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

    /// <summary>Flows with fewer packets are not judged.</summary>
    public int MinPackets => Model.Info.MinPackets;

    public IReadOnlyList<ClassifierLabel> Labels { get; }

    public bool TryClassify(in FlowRecord flow, ref ClassifierVerdict verdict)
    {
        if (flow.Packets < MinPackets)
        {
            return false;
        }

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
        for (int c = 0; c < _engines.Length; c++)
        {
            _engines[c].Predict(_input, ref _outputs[c]);
            _scores[c] = _outputs[c].Probability;
        }

        return FlowClassifierModel.Decide(_scores, _benignIndex, out tunnelProbability);
    }

    /// <summary>The reused input row (for benchmarks and tests).</summary>
    internal FlowRow Input => _input;

    internal float[] Scores => _scores;
}
