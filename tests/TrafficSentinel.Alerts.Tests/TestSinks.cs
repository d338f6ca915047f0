using System.Collections.Concurrent;

namespace TrafficSentinel.Alerts.Tests;

/// <summary>Records what it receives.</summary>
internal sealed class RecordingSink(string name = "recording") : IAlertSink
{
    private readonly ConcurrentQueue<Alert> _received = new();
    private int _pending;
    private int _flushed;

    public string Name { get; } = name;

    public IReadOnlyCollection<Alert> Received => _received;

    /// <summary>Alerts that were written and then flushed.</summary>
    public int Flushed => Volatile.Read(ref _flushed);

    public bool Disposed { get; private set; }

    public void Write(Alert alert)
    {
        _received.Enqueue(alert);
        _pending++;
    }

    public void Flush()
    {
        Interlocked.Add(ref _flushed, _pending);
        _pending = 0;
    }

    public void Dispose() => Disposed = true;
}

/// <summary>Blocks in <see cref="Write"/> until released.</summary>
internal sealed class BlockingSink : IAlertSink
{
    private readonly ManualResetEventSlim _gate = new(false);

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "blocking";

    public int Written { get; private set; }

    public void Release() => _gate.Set();

    public void Write(Alert alert)
    {
        Entered.TrySetResult();
        _gate.Wait();
        Written++;
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>Throws on every write (or every <c>n</c>th).</summary>
internal sealed class ThrowingSink(int everyNth = 1) : IAlertSink
{
    private int _calls;

    public string Name => "throwing";

    public int Succeeded { get; private set; }

    public void Write(Alert alert)
    {
        _calls++;
        if (_calls % everyNth == 0)
        {
            throw new InvalidOperationException("boom " + _calls);
        }

        Succeeded++;
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>Does nothing.</summary>
internal sealed class NullSink : IAlertSink
{
    public string Name => "null";

    public void Write(Alert alert)
    {
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
    }
}
