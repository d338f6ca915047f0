using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Classifier;

/// <summary>
/// The engine's <see cref="IFlowClassifier"/> over a trained model's flat trees
/// (<see cref="FlowClassifierModel.Ensembles"/>). Two stages: the benign-or-not model first, whose
/// 1 − p(benign) is the tunnel probability; only a flow at or above the threshold is scored by the
/// tunnel class models to name its family (the decision is the same as scoring every class, see
/// <see cref="FlowClassifierModel.Decide"/>). One per engine thread (it owns the reused input row and
/// scores); a prediction allocates nothing (see ClassifierBenchmarks).
/// </summary>
public sealed class MlFlowClassifier : IFlowClassifier
{
    private readonly TreeEnsemble[] _ensembles;
    private readonly FlowRow _input = new();
    private readonly float[] _scores;
    private readonly int _benignIndex;
    private readonly int[] _labelOfClass;

    internal MlFlowClassifier(FlowClassifierModel model, float threshold, int packetThreshold)
    {
        Model = model;
        Threshold = threshold;
        PacketThreshold = packetThreshold;
        _ensembles = [.. model.Ensembles];
        _scores = new float[_ensembles.Length];
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
        if (TunnelProbability() < Threshold)
        {
            return false;
        }

        int cls = ScoreTunnelClasses(out float tunnel);
        if (cls < 0 || tunnel < Threshold)
        {
            return false;
        }

        verdict.LabelIndex = _labelOfClass[cls];
        verdict.Probability = tunnel;
        return true;
    }

    /// <summary>Scores the features already in <see cref="Input"/> with every class model; returns the best tunnel class (model index).</summary>
    internal int Predict(out float tunnelProbability)
    {
        TunnelProbability();
        return ScoreTunnelClasses(out tunnelProbability);
    }

    /// <summary>
    /// The first stage: scores the benign model on the features in <see cref="Input"/> (into
    /// <see cref="Scores"/>) and returns the tunnel probability, 1 − p(benign).
    /// </summary>
    internal float TunnelProbability()
    {
        float benign = _ensembles[_benignIndex].Probability(_input.Features);
        _scores[_benignIndex] = benign;
        return 1 - benign;
    }

    /// <summary>The second stage: scores the tunnel class models, the benign score being already in <see cref="Scores"/>.</summary>
    private int ScoreTunnelClasses(out float tunnelProbability)
    {
        for (int c = 0; c < _ensembles.Length; c++)
        {
            if (c != _benignIndex)
            {
                _scores[c] = _ensembles[c].Probability(_input.Features);
            }
        }

        return FlowClassifierModel.Decide(_scores, _benignIndex, out tunnelProbability);
    }

    /// <summary>The reused input row (for benchmarks and tests).</summary>
    internal FlowRow Input => _input;

    internal float[] Scores => _scores;
}
