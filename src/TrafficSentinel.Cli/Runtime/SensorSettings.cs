using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>Options shared by <c>replay</c> and <c>live</c>.</summary>
internal sealed record SensorSettings
{
    public IReadOnlyList<string> Outputs { get; init; } = ["console"];

    public int MaxFlows { get; init; } = new FlowTableOptions().MaxFlows;

    public double IdleTimeoutSeconds { get; init; } = 120;

    public double ActiveTimeoutSeconds { get; init; } = 1800;

    public string? SensorName { get; init; }

    /// <summary>The flow classifier for this run's engine (null: no ML), made by <see cref="MlSettings"/>.</summary>
    public Engine.Features.IFlowClassifier? Classifier { get; init; }

    /// <summary>Makes another classifier on the same model, for another packet thread (a classifier is not thread-safe).</summary>
    public Func<Engine.Features.IFlowClassifier>? NewClassifier { get; init; }

    /// <summary>Judge flows on a classifier thread per engine (false: on the packet thread; <c>--ml-inline</c>).</summary>
    public bool ClassifierThread { get; init; } = true;

    /// <summary>Where the classifier's model came from, for the summary.</summary>
    public string? ClassifierSource { get; init; }

    public int QueueCapacity { get; init; } = Alerts.AlertDispatcher.DefaultQueueCapacity;

    /// <summary>
    /// The settings of each engine when <paramref name="packetThreads"/> packet threads share the run
    /// (0: one engine on the reading thread): the <see cref="MaxFlows"/> cap is divided among them.
    /// </summary>
    public SensorSettings PerPacketThread(int packetThreads) =>
        this with { MaxFlows = Math.Max(1, MaxFlows / Math.Max(1, packetThreads)) };

    public EngineOptions ToEngineOptions() => new()
    {
        ClassifierThread = ClassifierThread,
        Flows = new FlowTableOptions
        {
            MaxFlows = MaxFlows,
            IdleTimeoutMicros = (long)(IdleTimeoutSeconds * FlowTableOptions.MicrosPerSecond),
            ActiveTimeoutMicros = (long)(ActiveTimeoutSeconds * FlowTableOptions.MicrosPerSecond),
        },
    };
}
