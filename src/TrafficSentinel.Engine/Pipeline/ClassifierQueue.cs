using System.Runtime.InteropServices;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Pipeline;

/// <summary>
/// A flow waiting for, or judged by, the classifier thread: a copy of the flow record as it was when
/// the engine handed it over (so the alert says what an inline judgement would have said), the
/// packet and time of that moment, and the verdict.
/// </summary>
internal struct ClassifierRequest
{
    public FlowRecord Flow;
    public PacketInfo Packet;
    public long TimestampMicros;
    public long PacketNumber;

    /// <summary>The flow's slot in the flow table, or −1 when the flow had ended (judged at its end).</summary>
    public int FlowIndex;

    /// <summary>The engine's packet count when it handed the flow over.</summary>
    public long PublishedAtPacket;

    public ClassifierVerdict Verdict;
    public bool Tunnel;
}

/// <summary>
/// Runs an <see cref="IFlowClassifier"/> on a thread of its own for one engine, so the packet thread
/// only copies a flow record into a slot instead of walking trees. A bounded single-producer,
/// single-consumer ring of preallocated <see cref="ClassifierRequest"/> slots with three
/// ever-increasing positions: the engine fills slots at <see cref="Head"/>, the classifier thread
/// judges them up to <c>done</c>, the engine takes judged ones back at <see cref="Tail"/>. When the
/// engine takes results back is its own decision (see <see cref="SensorEngine"/>): at points fixed
/// by the input, waiting for the classifier thread when it is behind, so the alerts of a replay come
/// out in the same order on every run. The engine never pays for waking the classifier thread while
/// it is busy: the thread spins <see cref="SpinMicroseconds"/> µs for the next request, then polls
/// the ring every <see cref="PollMilliseconds"/> ms (a timed wait, cut short when the engine wants a
/// verdict it has not given yet), and only after
/// <see cref="PollsBeforeSleeping"/> empty polls does it sleep until the engine's next request
/// wakes it, so an idle sensor costs nothing either. (Waking it per request, or per 64, cost the
/// packet thread a futex wake and a cross-core interrupt each: 0.1 s of a 1 GB replay on a VM.)
/// Nothing is allocated after construction.
/// </summary>
internal sealed class ClassifierQueue : IDisposable
{
    /// <summary>How long the classifier thread spins for the next request after its last one, before it polls.</summary>
    public const int SpinMicroseconds = 20;

    /// <summary>How often the classifier thread looks for requests while the engine is busy.</summary>
    public const int PollMilliseconds = 1;

    /// <summary>Empty polls in a row after which the classifier thread sleeps until woken.</summary>
    public const int PollsBeforeSleeping = 50;

    private readonly ClassifierRequest[] _slots;
    private readonly int _mask;
    private readonly IFlowClassifier _classifier;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private Positions _positions;
    private volatile bool _stopping;
    private bool _disposed;

    /// <param name="classifier">Used by the classifier thread only, from now on.</param>
    /// <param name="capacity">Slots; rounded up to a power of two.</param>
    /// <param name="name">The thread's name.</param>
    public ClassifierQueue(IFlowClassifier classifier, int capacity, string name)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _slots = new ClassifierRequest[size];
        _mask = size - 1;
        _classifier = classifier;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The next slot the engine fills.</summary>
    public long Head => _positions.Head;

    /// <summary>The oldest slot the engine has not taken back.</summary>
    public long Tail => _positions.Tail;

    /// <summary>True when every slot is handed over and not yet taken back.</summary>
    public bool IsFull => _positions.Head - _positions.Tail == _slots.Length;

    /// <summary>Times the engine waited for the classifier thread (it was behind).</summary>
    public long EngineWaits { get; private set; }

    /// <summary>Engine: the slot at <see cref="Head"/>, to fill before <see cref="Publish"/> (the ring must not be full).</summary>
    public ref ClassifierRequest Reserve() => ref _slots[_positions.Head & _mask];

    /// <summary>Engine: hands the reserved slot to the classifier thread.</summary>
    public void Publish()
    {
        long head = _positions.Head + 1;
        Volatile.Write(ref _positions.Head, head);

        // The barrier pairs with the classifier thread's before it sleeps: a request published as
        // it decides to sleep is either seen by it or wakes it.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _positions.Sleeping) != 0)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Engine: the oldest slot not taken back, once the classifier thread has judged it (waking it
    /// and waiting when it has not). Call only when <see cref="Tail"/> &lt; <see cref="Head"/>;
    /// then <see cref="Release"/>.
    /// </summary>
    public ref ClassifierRequest WaitOldest()
    {
        long tail = _positions.Tail;
        if (Volatile.Read(ref _positions.Done) <= tail)
        {
            EngineWaits++;
            _wake.Set();
            var spin = default(SpinWait);
            while (Volatile.Read(ref _positions.Done) <= tail)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        return ref _slots[tail & _mask];
    }

    /// <summary>Engine: the slot at a position between <see cref="Tail"/> and <see cref="Head"/> (its engine-written fields; the verdict only after <see cref="WaitOldest"/>).</summary>
    public ref ClassifierRequest At(long position) => ref _slots[position & _mask];

    /// <summary>Engine: gives the slot returned by <see cref="WaitOldest"/> back to the ring.</summary>
    public void Release() => _positions.Tail++;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    private void Run()
    {
        long done = 0;
        int emptyPolls = 0;
        long idleSince = 0;
        long spinTicks = System.Diagnostics.Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        while (true)
        {
            if (done < Volatile.Read(ref _positions.Head))
            {
                emptyPolls = 0;
                idleSince = 0;
                ref ClassifierRequest request = ref _slots[done & _mask];
                request.Verdict = default;
                request.Tunnel = _classifier.TryClassify(in request.Flow, ref request.Verdict);
                done++;
                Volatile.Write(ref _positions.Done, done);
                continue;
            }

            if (_stopping)
            {
                return;
            }

            // Right after a request, the next one is usually microseconds away: spin for it.
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (idleSince == 0)
            {
                idleSince = now;
            }

            if (now - idleSince < spinTicks)
            {
                Thread.SpinWait(10);
                continue;
            }

            if (emptyPolls < PollsBeforeSleeping)
            {
                emptyPolls++;
                _wake.Wait(PollMilliseconds);
                _wake.Reset();
                continue;
            }

            // Idle: sleep until the engine's next request wakes us.
            emptyPolls = 0;
            _wake.Reset();
            Volatile.Write(ref _positions.Sleeping, 1);
            Interlocked.MemoryBarrier();
            if (done == Volatile.Read(ref _positions.Head) && !_stopping)
            {
                _wake.Wait();
            }

            Volatile.Write(ref _positions.Sleeping, 0);
        }
    }

    /// <summary>The positions, each on its own cache line: the engine writes Head and Tail, the classifier thread Done and Sleeping.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Positions
    {
        [FieldOffset(64)]
        public long Head;

        [FieldOffset(72)]
        public long Tail;

        [FieldOffset(128)]
        public long Done;

        [FieldOffset(136)]
        public int Sleeping;
    }
}
