using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Pipeline;

public sealed record EngineOptions
{
    public FlowTableOptions Flows { get; init; } = new();

    /// <summary>How often (packet time) idle flows are swept.</summary>
    public long SweepIntervalMicros { get; init; } = FlowTableOptions.MicrosPerSecond;
}
