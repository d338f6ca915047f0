using System.Numerics;
using System.Runtime.CompilerServices;
using TrafficSentinel.Engine.Decoding;

namespace TrafficSentinel.Engine.Flows;

/// <summary>
/// A bounded table of bidirectional flows. Records live in one preallocated array (so memory per
/// flow is fixed and known), found through a power-of-two bucket array with chaining, and kept on
/// two queues — open flows and TCP-closed flows — in the order they were queued. A packet only
/// updates its flow's last-seen time and never touches the queues (moving a record on every packet
/// would touch two other records, two cache misses at scale). Expiry and eviction give the head a
/// second chance instead: a head seen since it was queued goes back to the tail, one that was not is
/// ended. A flow therefore ends at most a little after its timeout (by how far its queue position
/// lags its last packet), never before. All times are packet time, so replay and live behave alike.
/// Allocates nothing after construction.
/// </summary>
public sealed class FlowTable
{
    private const int None = -1;
    private const byte OpenList = 0;
    private const byte ClosedList = 1;
    private const byte FreeList = 2;
    private const int MaxSecondChances = 16;

    private readonly FlowRecord[] _records;
    private readonly int[] _buckets;
    private readonly int _bucketMask;
    private readonly ulong _seed;
    private readonly long _idleTimeout;
    private readonly long _activeTimeout;
    private readonly long _closedTimeout;
    private readonly IFlowObserver? _observer;
    private readonly int[] _listHead = [None, None];
    private readonly int[] _listTail = [None, None];
    private int _freeHead;

    // Records at and above this index have never been used: they are free without being on the free
    // list, so construction touches none of the table's memory (a 113 MiB table would otherwise be
    // faulted in page by page before the first packet).
    private int _neverUsed;
    private int _count;
    private ulong _nextId;

    public FlowTable(FlowTableOptions options, IFlowObserver? observer = null)
    {
        options.Validate();
        _records = GC.AllocateUninitializedArray<FlowRecord>(options.MaxFlows, pinned: true);
        HugePages.Advise(_records);
        int buckets = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, options.MaxFlows));
        _buckets = new int[buckets];
        Array.Fill(_buckets, None);
        _bucketMask = buckets - 1;
        _seed = options.HashSeed ?? (ulong)Random.Shared.NextInt64();
        _idleTimeout = options.IdleTimeoutMicros;
        _activeTimeout = options.ActiveTimeoutMicros;
        _closedTimeout = options.ClosedTimeoutMicros;
        _observer = observer;
        _freeHead = None;
    }

    /// <summary>Bytes of table memory per flow of capacity: one record and its share of the buckets.</summary>
    public static int RecordSize => Unsafe.SizeOf<FlowRecord>();

    public int Capacity => _records.Length;

    /// <summary>Bytes held by the table's arrays, fixed at construction.</summary>
    public long MemoryBytes => ((long)_records.Length * RecordSize) + ((long)_buckets.Length * sizeof(int));

    public int Count => _count;

    public long FlowsCreated { get; private set; }

    public long FlowsEvicted { get; private set; }

    public long FlowsIdleExpired { get; private set; }

    public long FlowsActiveExpired { get; private set; }

    public long FlowsClosed { get; private set; }

    public ref FlowRecord this[int index] => ref _records[index];

    /// <summary>
    /// Finds or creates the flow of <paramref name="packet"/> at packet time <paramref name="now"/>
    /// and moves it to the tail of its recency list. <paramref name="fromA"/> tells the packet's
    /// direction in the key's canonical order. Counters are the caller's to update.
    /// </summary>
    public int Track(in PacketInfo packet, long now, out bool fromA, out bool created)
    {
        FlowKey key = FlowKey.Create(in packet, out fromA);
        ulong hash = key.Hash(_seed);
        int bucket = (int)hash & _bucketMask;
        uint hashLow = (uint)hash;
        FlowRecord[] records = _records;
        for (int i = _buckets[bucket]; i != None; i = records[i].NextInBucket)
        {
            ref FlowRecord candidate = ref records[i];
            if (candidate.HashLow == hashLow && candidate.Key.Equals(key))
            {
                if (now - candidate.LastSeenMicros >= (candidate.ListId == ClosedList ? _closedTimeout : _idleTimeout))
                {
                    // Idle past its timeout, though no sweep has ended it yet: it ends now, and this
                    // packet starts a new flow. Flow boundaries so never depend on when sweeps run.
                    ExpireNow(i);
                    break;
                }

                if (now - candidate.FirstSeenMicros >= _activeTimeout)
                {
                    RestartAfterActiveTimeout(ref candidate, now);
                }

                candidate.LastSeenMicros = now;
                created = false;
                return i;
            }
        }

        int index = Allocate();
        ref FlowRecord flow = ref records[index];
        flow = default;
        flow.Key = key;
        flow.HashLow = hashLow;
        flow.Id = ++_nextId;
        flow.FirstSeenMicros = now;
        flow.LastSeenMicros = now;
        flow.FirstIcmpType = packet.IcmpType;
        flow.FirstIcmpCode = packet.IcmpCode;

        // The client sent the first packet, unless that packet is a SYN-ACK: then the SYN was missed
        // and the destination is the client.
        bool sourceIsClient = packet.Protocol != IpProtocol.Tcp
            || (packet.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) != (TcpFlags.Syn | TcpFlags.Ack);
        if (sourceIsClient == fromA)
        {
            flow.Flags = FlowFlags.ClientIsA;
        }

        flow.NextInBucket = _buckets[bucket];
        _buckets[bucket] = index;
        flow.ListId = OpenList;
        flow.QueuedMicros = now;
        AppendToTail(index, OpenList);
        _count++;
        FlowsCreated++;
        created = true;
        return index;
    }

    /// <summary>Marks a TCP flow closed (both FINs or a RST): from now on the closed timeout applies.</summary>
    public void MarkClosed(int index)
    {
        ref FlowRecord flow = ref _records[index];
        if (flow.ListId == OpenList)
        {
            Unlink(index, OpenList);
            flow.ListId = ClosedList;
            flow.QueuedMicros = flow.LastSeenMicros;
            AppendToTail(index, ClosedList);
        }
    }

    /// <summary>Ends every flow idle past its timeout at packet time <paramref name="now"/>.</summary>
    public void Expire(long now)
    {
        ExpireList(ClosedList, now, _closedTimeout);
        ExpireList(OpenList, now, _idleTimeout);
    }

    /// <summary>Ends every flow, oldest first (end of input or shutdown).</summary>
    public void Flush(FlowEndReason reason = FlowEndReason.EndOfInput)
    {
        while (_listHead[ClosedList] != None)
        {
            End(_listHead[ClosedList], reason);
        }

        while (_listHead[OpenList] != None)
        {
            End(_listHead[OpenList], reason);
        }
    }

    private void ExpireNow(int index)
    {
        if (_records[index].ListId == ClosedList)
        {
            FlowsClosed++;
            End(index, FlowEndReason.TcpClosed);
        }
        else
        {
            FlowsIdleExpired++;
            End(index, FlowEndReason.IdleTimeout);
        }
    }

    private void ExpireList(byte list, long now, long timeout)
    {
        // Records sit in about the order they were queued, and a record is seen no earlier than it was
        // queued, so stop at the first head queued less than a timeout ago. A requeued record can stand
        // behind a later one: it is then ended a little late, by a later sweep or by its own next packet.
        int head;
        while ((head = _listHead[list]) != None && now - _records[head].QueuedMicros >= timeout)
        {
            ref FlowRecord flow = ref _records[head];
            if (now - flow.LastSeenMicros >= timeout)
            {
                ExpireNow(head);
            }
            else
            {
                Requeue(head, list);
            }
        }
    }

    private int Allocate()
    {
        if (_freeHead == None && _neverUsed < _records.Length)
        {
            return _neverUsed++;
        }

        if (_freeHead == None)
        {
            // Full: evict the least recently seen flow, closed flows first. Heads seen since they were
            // queued get a second chance (a bounded number of them), as in expiry.
            byte list = _listHead[ClosedList] != None ? ClosedList : OpenList;
            int victim = _listHead[list];
            for (int chances = 0; chances < MaxSecondChances && _records[victim].LastSeenMicros > _records[victim].QueuedMicros; chances++)
            {
                Requeue(victim, list);
                victim = _listHead[list];
            }

            FlowsEvicted++;
            End(victim, FlowEndReason.Evicted);
        }

        int index = _freeHead;
        _freeHead = _records[index].NextInBucket;
        return index;
    }

    private void End(int index, FlowEndReason reason)
    {
        ref FlowRecord flow = ref _records[index];
        _observer?.OnFlowEnded(ref flow, reason);

        // Unhook from its bucket chain.
        int bucket = (int)(flow.HashLow & (uint)_bucketMask);
        if (_buckets[bucket] == index)
        {
            _buckets[bucket] = flow.NextInBucket;
        }
        else
        {
            int i = _buckets[bucket];
            while (_records[i].NextInBucket != index)
            {
                i = _records[i].NextInBucket;
            }

            _records[i].NextInBucket = flow.NextInBucket;
        }

        Unlink(index, flow.ListId);
        flow.ListId = FreeList;
        flow.NextInBucket = _freeHead;
        _freeHead = index;
        _count--;
    }

    private void RestartAfterActiveTimeout(ref FlowRecord flow, long now)
    {
        FlowsActiveExpired++;
        _observer?.OnFlowEnded(ref flow, FlowEndReason.ActiveTimeout);

        // The same connection goes on as a new record: counters restart, what detectors decided stays.
        flow.Id = ++_nextId;
        flow.FirstSeenMicros = now;
        flow.PacketsAtoB = flow.PacketsBtoA = 0;
        flow.BytesAtoB = flow.BytesBtoA = 0;
    }

    private void Requeue(int index, byte list)
    {
        _records[index].QueuedMicros = _records[index].LastSeenMicros;
        if (_listTail[list] != index)
        {
            Unlink(index, list);
            AppendToTail(index, list);
        }
    }

    private void AppendToTail(int index, byte list)
    {
        ref FlowRecord flow = ref _records[index];
        int tail = _listTail[list];
        flow.Previous = tail;
        flow.Next = None;
        if (tail == None)
        {
            _listHead[list] = index;
        }
        else
        {
            _records[tail].Next = index;
        }

        _listTail[list] = index;
    }

    private void Unlink(int index, byte list)
    {
        ref FlowRecord flow = ref _records[index];
        if (flow.Previous == None)
        {
            _listHead[list] = flow.Next;
        }
        else
        {
            _records[flow.Previous].Next = flow.Next;
        }

        if (flow.Next == None)
        {
            _listTail[list] = flow.Previous;
        }
        else
        {
            _records[flow.Next].Previous = flow.Previous;
        }
    }
}
