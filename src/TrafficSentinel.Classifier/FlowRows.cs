using Microsoft.ML.Data;
using TrafficSentinel.Engine.Features;

namespace TrafficSentinel.Classifier;

/// <summary>One training or prediction example: the feature vector of one flow and its class.</summary>
public sealed class FlowRow
{
    [VectorType(FeatureSchema.Length)]
    public float[] Features { get; set; } = new float[FeatureSchema.Length];

    /// <summary>A <see cref="FlowClasses"/> name (empty at prediction time).</summary>
    public string Label { get; set; } = string.Empty;

    /// <summary>Training weight (classes are balanced by the trainer; unused at prediction time).</summary>
    public float Weight { get; set; } = 1;
}

/// <summary>The model's output: one probability per class, in <see cref="FlowClassifierModel.Classes"/> order.</summary>
public sealed class FlowPrediction
{
    public float[] Score { get; set; } = [];
}
