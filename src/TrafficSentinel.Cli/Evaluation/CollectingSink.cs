using TrafficSentinel.Alerts;

namespace TrafficSentinel.Cli.Evaluation;

/// <summary>Keeps every alert in memory, for evaluation.</summary>
internal sealed class CollectingSink : IAlertSink
{
    private readonly List<Alert> _alerts = [];
    private readonly Lock _gate = new();

    public string Name => "evaluation";

    public IReadOnlyList<Alert> Alerts
    {
        get
        {
            lock (_gate)
            {
                return [.. _alerts];
            }
        }
    }

    public void Write(Alert alert)
    {
        lock (_gate)
        {
            _alerts.Add(alert);
        }
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
    }
}
