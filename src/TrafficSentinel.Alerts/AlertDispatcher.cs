using System.Threading.Channels;

namespace TrafficSentinel.Alerts;

/// <summary>
/// Keeps sinks off the capture thread. Each sink gets its own bounded queue and its own background
/// thread, so a slow sink only ever fills its own queue: <see cref="TryPublish"/> never blocks, and
/// an alert that does not fit is dropped for that sink and counted. A sink that throws is counted
/// (<see cref="SinkStatistics.Failed"/>) and keeps receiving later alerts.
/// </summary>
public sealed class AlertDispatcher : IDisposable
{
    /// <summary>Default per-sink queue capacity.</summary>
    public const int DefaultQueueCapacity = 8192;

    /// <summary>How long <see cref="Dispose"/> waits for queues to drain when <see cref="Complete"/> was not called.</summary>
    public static readonly TimeSpan DefaultCompleteTimeout = TimeSpan.FromSeconds(5);

    private readonly SinkWorker[] _workers;
    private long _published;
    private long _rejected;
    private int _completed;
    private bool _disposed;

    /// <param name="sinks">The sinks; the dispatcher owns them and disposes them.</param>
    /// <param name="queueCapacity">Alerts each sink's queue holds before new ones are dropped for it.</param>
    public AlertDispatcher(IEnumerable<IAlertSink> sinks, int queueCapacity = DefaultQueueCapacity)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        IAlertSink[] list = [.. sinks];
        QueueCapacity = queueCapacity;
        _workers = new SinkWorker[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(list[i], nameof(sinks));
            _workers[i] = new SinkWorker(list[i], queueCapacity);
        }

        foreach (SinkWorker worker in _workers)
        {
            worker.Start();
        }
    }

    public int QueueCapacity { get; }

    /// <summary>Alerts offered to <see cref="TryPublish"/>.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Alerts that at least one sink had to drop (queue full or dispatcher completed).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Alert copies dropped, summed over sinks.</summary>
    public long Dropped => _workers.Sum(w => w.Dropped);

    /// <summary>Failed writes and flushes, summed over sinks.</summary>
    public long Failures => _workers.Sum(w => w.Failed);

    /// <summary>Alerts written, summed over sinks.</summary>
    public long Written => _workers.Sum(w => w.Written);

    /// <summary>
    /// Queues <paramref name="alert"/> for every sink. Never blocks: returns false when at least one
    /// sink's queue was full (or the dispatcher was completed); that sink's drop is counted.
    /// </summary>
    public bool TryPublish(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        Interlocked.Increment(ref _published);
        bool all = true;
        foreach (SinkWorker worker in _workers)
        {
            all &= worker.TryEnqueue(alert);
        }

        if (!all)
        {
            Interlocked.Increment(ref _rejected);
        }

        return all;
    }

    /// <summary>
    /// Stops accepting alerts, lets every sink write what is queued and flush, and waits for that at
    /// most <paramref name="timeout"/> in total. Returns true when every sink finished; a sink still
    /// busy (blocked) is left running in the background and shows <see cref="SinkStatistics.Finished"/> false.
    /// </summary>
    public bool Complete(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _completed, 1);
        foreach (SinkWorker worker in _workers)
        {
            worker.CompleteAdding();
        }

        DateTime deadline = DateTime.UtcNow + (timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout);
        bool allFinished = true;
        foreach (SinkWorker worker in _workers)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            allFinished &= worker.Join(left < TimeSpan.Zero ? TimeSpan.Zero : left);
        }

        return allFinished;
    }

    /// <summary>A snapshot of each sink's counters, in the order the sinks were given.</summary>
    public IReadOnlyList<SinkStatistics> GetStatistics() => [.. _workers.Select(w => w.Snapshot())];

    /// <summary>Completes (waiting up to <see cref="DefaultCompleteTimeout"/> if not done yet) and disposes the sinks that finished.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (Volatile.Read(ref _completed) == 0)
        {
            Complete(DefaultCompleteTimeout);
        }

        foreach (SinkWorker worker in _workers)
        {
            worker.DisposeSinkIfFinished();
        }
    }

    /// <summary>One sink, its queue and its thread.</summary>
    private sealed class SinkWorker
    {
        private readonly IAlertSink _sink;
        private readonly Channel<Alert> _queue;
        private readonly Thread _thread;
        private readonly string _name;
        private long _written;
        private long _dropped;
        private long _failed;
        private string? _lastError;
        private volatile bool _finished;

        /// <summary>How long the sink's thread lets alerts gather after it is woken (its alerts' extra delay at most).</summary>
        private const int BatchDelayMs = 2;

        public SinkWorker(IAlertSink sink, int capacity)
        {
            _sink = sink;
            _name = SafeName(sink);
            // FullMode.Wait makes TryWrite return false when full, which is how a drop is noticed;
            // nothing ever waits to write.
            _queue = Channel.CreateBounded<Alert>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
                SingleWriter = false,

                // The sink's thread blocks waiting for alerts; a publisher wakes it directly (a futex
                // wake) instead of through a thread-pool continuation, whose idle workers spin: with
                // that, a replay of 3.35 M packets made 180,000 sched_yield calls on the other core.
                AllowSynchronousContinuations = true,
            });
            _thread = new Thread(Run)
            {
                IsBackground = true,
                Name = "alert-sink " + _name,
            };
        }

        public long Written => Interlocked.Read(ref _written);

        public long Dropped => Interlocked.Read(ref _dropped);

        public long Failed => Interlocked.Read(ref _failed);

        public void Start() => _thread.Start();

        public bool TryEnqueue(Alert alert)
        {
            if (_queue.Writer.TryWrite(alert))
            {
                return true;
            }

            Interlocked.Increment(ref _dropped);
            return false;
        }

        public void CompleteAdding() => _queue.Writer.TryComplete();

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);

        public SinkStatistics Snapshot() => new(
            _name,
            Written,
            Dropped,
            Failed,
            Volatile.Read(ref _lastError),
            _queue.Reader.CanCount ? _queue.Reader.Count : 0,
            _finished);

        public void DisposeSinkIfFinished()
        {
            if (!_finished)
            {
                return;
            }

            try
            {
                _sink.Dispose();
            }
            catch (Exception ex)
            {
                RecordFailure(ex);
            }
        }

        private void Run()
        {
            ChannelReader<Alert> reader = _queue.Reader;
            try
            {
                while (true)
                {
                    bool wrote = false;
                    while (reader.TryRead(out Alert? alert))
                    {
                        try
                        {
                            _sink.Write(alert);
                            Interlocked.Increment(ref _written);
                            wrote = true;
                        }
                        catch (Exception ex)
                        {
                            RecordFailure(ex);
                        }
                    }

                    if (wrote)
                    {
                        TryFlush();
                    }

                    ValueTask<bool> more = reader.WaitToReadAsync();
                    bool hasMore = more.IsCompleted ? more.Result : more.AsTask().GetAwaiter().GetResult();
                    if (!hasMore)
                    {
                        break;
                    }

                    // Let a burst gather before draining it: each time this thread blocks, the next
                    // publisher pays a futex wake and this thread a sleep/wake round trip (tens of µs on
                    // a VM); a replay with thousands of alerts spent 0.3 s of CPU on that alone.
                    Thread.Sleep(BatchDelayMs);
                }

                TryFlush();
            }
            finally
            {
                _finished = true;
            }
        }

        private void TryFlush()
        {
            try
            {
                _sink.Flush();
            }
            catch (Exception ex)
            {
                RecordFailure(ex);
            }
        }

        private void RecordFailure(Exception ex)
        {
            Interlocked.Increment(ref _failed);
            Volatile.Write(ref _lastError, ex.GetType().Name + ": " + ex.Message);
        }

        private static string SafeName(IAlertSink sink)
        {
            try
            {
                return sink.Name;
            }
            catch (Exception ex)
            {
                return sink.GetType().Name + " (" + ex.Message + ")";
            }
        }
    }
}

/// <summary>One sink's counters, for the final summary.</summary>
/// <param name="Name">The sink's name.</param>
/// <param name="Written">Alerts written without error.</param>
/// <param name="Dropped">Alerts not queued because the sink's queue was full or closed.</param>
/// <param name="Failed">Writes and flushes that threw.</param>
/// <param name="LastError">The last exception's type and message, if any.</param>
/// <param name="Pending">Alerts still queued.</param>
/// <param name="Finished">True once the sink's thread has drained its queue and stopped.</param>
public sealed record SinkStatistics(string Name, long Written, long Dropped, long Failed, string? LastError, int Pending, bool Finished);
