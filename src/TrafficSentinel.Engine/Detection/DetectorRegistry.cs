using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Protocols.Tor;

namespace TrafficSentinel.Engine.Detection;

/// <summary>Settings the built-in detectors take.</summary>
public sealed record DetectorOptions
{
    /// <summary>Known Tor relays (from <c>--tor-relays</c>): a flow to one is attributed to Tor even when TLS hides the rest.</summary>
    public TorRelayList? TorRelays { get; init; }
}

/// <summary>
/// The one place detectors are registered. Order matters only for the order in which a packet is
/// offered to them; every detector sees every flow of its transports until it excludes itself.
/// </summary>
public static class DetectorRegistry
{
    /// <summary>Creates the default detectors (new instances: a detector's pools belong to one engine).</summary>
    public static DetectorSet CreateDefault(DetectorOptions? options = null) => new(CreateAll(options));

    /// <summary>Every built-in detector, in dispatch order.</summary>
    public static IReadOnlyList<FlowDetector> CreateAll(DetectorOptions? options = null) =>
    [
        new OpenVpnDetector(),
        new WireGuardDetector(),
        new TorDetector(options?.TorRelays),
    ];
}
