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

    /// <summary>The capture (split group) the row comes from, for per-file weighting in training; not a feature.</summary>
    [NoColumn]
    public string Group { get; set; } = string.Empty;
}

/// <summary>A row for one class's binary model: this class or not, weighted to balance the classes.</summary>
internal sealed class BinaryRow
{
    [VectorType(FeatureSchema.Length)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }

    public float Weight { get; set; } = 1;
}

/// <summary>A binary model's output: the calibrated probability of its class.</summary>
public sealed class BinaryPrediction
{
    public float Probability { get; set; }
}
