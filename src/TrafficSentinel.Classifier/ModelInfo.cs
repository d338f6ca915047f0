using System.Text.Json;
using System.Text.Json.Serialization;

namespace TrafficSentinel.Classifier;

/// <summary>
/// What a model file says about itself, stored as <see cref="EntryName"/> inside the ML.NET zip: the
/// feature schema it was trained on, its classes (in score order) and its default thresholds.
/// </summary>
public sealed record ModelInfo
{
    public const string EntryName = "TrafficSentinel/model-info.json";

    [JsonPropertyName("feature_schema_version")]
    public int FeatureSchemaVersion { get; init; }

    [JsonPropertyName("feature_count")]
    public int FeatureCount { get; init; }

    [JsonPropertyName("classes")]
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>Tunnel probability (1 − p(benign)) from which a flow is reported.</summary>
    [JsonPropertyName("threshold")]
    public float Threshold { get; init; } = 0.5f;

    /// <summary>Packets after which a flow is judged (the training rows were taken at this point).</summary>
    [JsonPropertyName("packet_threshold")]
    public int PacketThreshold { get; init; } = 32;

    /// <summary>Flows with fewer packets are never judged (1–2 packets have no shape; most flows are that short).</summary>
    [JsonPropertyName("min_packets")]
    public int MinPackets { get; init; } = 3;

    [JsonPropertyName("seed")]
    public int Seed { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, ModelInfoJson.Default.ModelInfo);

    public static ModelInfo? FromJson(string json) => JsonSerializer.Deserialize(json, ModelInfoJson.Default.ModelInfo);
}

/// <summary>Compile-time JSON (de)serialization of <see cref="ModelInfo"/>: no reflection at start-up, where a sensor loads its model.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ModelInfo))]
internal sealed partial class ModelInfoJson : JsonSerializerContext;
