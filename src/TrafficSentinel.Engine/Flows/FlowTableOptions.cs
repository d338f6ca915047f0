namespace TrafficSentinel.Engine.Flows;

/// <summary>Bounds and timeouts of the flow table. Times are in microseconds of packet time.</summary>
public sealed record FlowTableOptions
{
    public const long MicrosPerSecond = 1_000_000;

    /// <summary>Hard cap on tracked flows; the least recently seen flow is evicted beyond it.</summary>
    public int MaxFlows { get; init; } = 262_144;

    /// <summary>A flow with no packet for this long ends.</summary>
    public long IdleTimeoutMicros { get; init; } = 120 * MicrosPerSecond;

    /// <summary>A flow older than this is handed on and continues as a new record.</summary>
    public long ActiveTimeoutMicros { get; init; } = 1800 * MicrosPerSecond;

    /// <summary>After both FINs or a RST, the flow ends once it has been quiet for this long.</summary>
    public long ClosedTimeoutMicros { get; init; } = 5 * MicrosPerSecond;

    /// <summary>Seed of the keyed flow hash; null picks a random one (the default for a sensor).</summary>
    public ulong? HashSeed { get; init; }

    public void Validate()
    {
        if (MaxFlows < 1 || MaxFlows > 1 << 26)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFlows), MaxFlows, "must be between 1 and 67,108,864");
        }

        if (IdleTimeoutMicros <= 0 || ActiveTimeoutMicros <= 0 || ClosedTimeoutMicros <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeoutMicros), "timeouts must be positive");
        }
    }
}
