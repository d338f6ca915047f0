namespace TrafficSentinel.Engine.Features;

/// <summary>
/// The feature vector <see cref="FlowFeatures.Extract"/> fills: its length, names and version. A
/// model records the version it was trained on, and a sensor refuses a model of another version.
/// v2 added the protocol-framing features (37–48); v3 counts Tor cells also in 512-byte cells and CBC records (47). Bump <see cref="Version"/> whenever a feature is added, removed, reordered or computed differently.
/// </summary>
public static class FeatureSchema
{
    public const int Version = 3;

    public const int Length = 49;

    /// <summary>
    /// Features [0, ShapeFeatures) describe the traffic's shape: sizes, counts, timing, direction changes.
    /// What the tunnel carries and the network it crosses decide them. The rest come from the protocol
    /// itself: payload bit density, block alignment, transport and framing.
    /// </summary>
    public const int ShapeFeatures = 34;

    /// <summary>Index of the transport feature (0 UDP, 1 TCP, 2 other).</summary>
    public const int Transport = 36;

    /// <summary>Feature names, in vector order (the model card lists them).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "first_size_1", "first_size_2", "first_size_3", "first_size_4",
        "first_size_5", "first_size_6", "first_size_7", "first_size_8",
        "packets_to_server", "packets_to_client",
        "packet_share_to_server", "payload_share_to_server",
        "payload_mean_to_server", "payload_mean_to_client",
        "payload_std_to_server", "payload_std_to_client",
        "payload_min_to_server", "payload_min_to_client",
        "payload_max_to_server", "payload_max_to_client",
        "iat_mean_ms_to_server", "iat_mean_ms_to_client",
        "iat_std_ms_to_server", "iat_std_ms_to_client",
        "duration_s",
        "size_share_0", "size_share_1_99", "size_share_100_299", "size_share_300_699", "size_share_700_1199", "size_share_1200_up",
        "share_at_max_payload", "max_payload",
        "direction_changes_per_packet",
        "bit_density_first_payloads",
        "share_payload_multiple_of_16",
        "transport",
        "share_same_first_byte", "share_same_first_2_bytes", "share_same_first_4_bytes",
        "share_counter_be32_at_4", "share_counter_be32_at_6", "share_counter_le32_at_8",
        "share_same_size_as_previous",
        "share_length_prefixed",
        "share_tls_record_start", "share_tls_record_aligned", "share_tor_cell_records",
        "share_dtls_record",
    ];
}
