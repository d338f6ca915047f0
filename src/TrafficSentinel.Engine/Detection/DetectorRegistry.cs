using TrafficSentinel.Engine.Detection.Detectors;

namespace TrafficSentinel.Engine.Detection;

/// <summary>
/// The one place detectors are registered. Order matters only for the order in which a packet is
/// offered to them; every detector sees every flow of its transports until it excludes itself.
/// </summary>
public static class DetectorRegistry
{
    /// <summary>Creates the default detectors (new instances: detectors hold no per-flow state themselves).</summary>
    public static DetectorSet CreateDefault() => new(CreateAll());

    /// <summary>Every built-in detector, in dispatch order.</summary>
    public static IReadOnlyList<FlowDetector> CreateAll() =>
    [
        new WireGuardDetector(),
    ];
}
