using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Pipeline;

public sealed record EngineOptions
{
    public FlowTableOptions Flows { get; init; } = new();

    /// <summary>How often (packet time) idle flows are swept.</summary>
    public long SweepIntervalMicros { get; init; } = FlowTableOptions.MicrosPerSecond;

    /// <summary>
    /// Judge flows on a classifier thread of the engine's own instead of the packet thread (see
    /// <see cref="ClassifierQueue"/>): the packet thread copies the flow record and goes on. A
    /// classifier alert comes out up to 8,192 packets later than inline (sooner at
    /// <see cref="SensorEngine.AdvanceTime"/> and at the end of input), at packets fixed by the input.
    /// The alerts are those of inline judging but for one case: a detector that matches a flow while
    /// its verdict is still out keeps its alert, and a classifier alert of the same protocol is then
    /// dropped (inline, the classifier's came first and the detector's was dropped).
    /// </summary>
    public bool ClassifierThread { get; init; }

    /// <summary>Flows waiting for, or judged by, the classifier thread before the packet thread must wait for it.</summary>
    public int ClassifierQueueCapacity { get; init; } = 4096;
}
