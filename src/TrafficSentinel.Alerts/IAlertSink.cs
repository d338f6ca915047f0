namespace TrafficSentinel.Alerts;

/// <summary>
/// Somewhere alerts go. The <see cref="AlertDispatcher"/> calls a sink from one worker thread only,
/// so an implementation needs no locking of its own; it may block (the capture thread never waits
/// on it) and may throw (the dispatcher counts the failure and goes on with the next alert).
/// </summary>
public interface IAlertSink : IDisposable
{
    /// <summary>Short name for statistics and error messages, e.g. <c>console</c> or <c>jsonl:/var/log/x.json</c>.</summary>
    string Name { get; }

    /// <summary>Writes one alert. May buffer until <see cref="Flush"/>.</summary>
    void Write(Alert alert);

    /// <summary>Pushes buffered output out; called whenever the sink's queue runs empty and at the end.</summary>
    void Flush();
}
