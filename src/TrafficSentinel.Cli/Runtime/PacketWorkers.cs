using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Pipeline;

namespace TrafficSentinel.Cli.Runtime;

/// <summary>
/// Packet threads for <c>--threads N</c>: the capture thread reads and copies each packet into the
/// ring of one worker, chosen by the flow key's hash, which is symmetric, so both directions of a
/// flow reach the same worker and its engine; each worker runs its own engine (own flow table, own
/// detectors) on its own thread. With one worker, reading and processing simply overlap on two cores.
/// Used by <c>replay</c> and <c>live</c>; live capture also sends clock ticks (<see cref="Tick"/>) so
/// that idle flows expire on every worker while no packet arrives, and flushes the rings
/// (<see cref="Flush"/>) so that a slow trickle of packets is not held back waiting for a full batch.
/// </summary>
internal sealed class PacketWorkers
{
    /// <summary>Ring size per worker: a few thousand packets of slack for the reader.</summary>
    public const int RingBytes = 16 << 20;

    private const ulong RoutingSeed = 0x5EED_F10EUL;

    /// <summary>The ring tag of a clock tick: no packet, only the reader's packet-time clock.</summary>
    private const int ClockTickTag = -1;

    /// <summary>Empty polls of its ring a worker spins through before it sleeps a millisecond at a time.</summary>
    private const int SpinsBeforeSleeping = 64;

    private readonly PacketRing[] _rings;
    private readonly Thread[] _threads;
    private readonly SensorShard[] _shards;
    private readonly IReadOnlyList<string?> _sources;
    private readonly int[] _linkTypes;
    private readonly bool _continuous;
    private Exception? _failure;
    private long _clock = long.MinValue;

    /// <param name="run">The run; it gets one shard per worker (its first shard becomes worker 0).</param>
    /// <param name="workers">Packet threads, at least 1.</param>
    /// <param name="sources">Names of the capture files (for pcap_filename; null for an interface); packets carry their index.</param>
    /// <param name="continuous">When false, a worker ends its flows when packets of the next source arrive.</param>
    /// <param name="detectors">Makes each further worker's detectors.</param>
    public PacketWorkers(SensorRun run, int workers, IReadOnlyList<string?> sources, bool continuous, Func<DetectorSet> detectors)
    {
        _sources = sources;
        _linkTypes = new int[sources.Count];
        _continuous = continuous;
        _rings = new PacketRing[workers];
        _threads = new Thread[workers];
        _shards = new SensorShard[workers];
        for (int i = 0; i < workers; i++)
        {
            _shards[i] = i == 0 ? run.Shards[0] : run.AddShard(detectors());
            _rings[i] = new PacketRing(RingBytes);
            int worker = i;
            _threads[i] = new Thread(() => Work(worker)) { Name = "sentinel worker " + i, IsBackground = true };
        }

        foreach (Thread thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Reader: the packets that follow come from source <paramref name="index"/> of this link type.</summary>
    public void BeginSource(int index, int linkType)
    {
        _linkTypes[index] = linkType;
        if (!_continuous)
        {
            _clock = long.MinValue;
        }
    }

    /// <summary>Reader: hands one packet to the worker its flow belongs to.</summary>
    public void Dispatch(in RawPacket packet, int source)
    {
        int worker = 0;
        if (_rings.Length > 1
            && PacketDecoder.TryDecode(_linkTypes[source], packet.Data, out PacketInfo info) == DecodeStatus.Ok)
        {
            worker = (int)(FlowKey.Create(in info, out _).Hash(RoutingSeed) % (ulong)_rings.Length);
        }

        // Packet time for flows is the reader's clock, so every worker times flows as one engine would.
        _clock = Math.Max(_clock, packet.TimestampMicros);
        _rings[worker].Write(packet.Data, packet.TimestampMicros, packet.Number, packet.WireLength, source, _clock);
    }

    /// <summary>
    /// Reader: no packet came, but packet time is now <paramref name="nowMicros"/> (live capture
    /// follows the wall clock): every worker advances its flows' clock, so idle flows still end.
    /// </summary>
    public void Tick(long nowMicros)
    {
        _clock = Math.Max(_clock, nowMicros);
        foreach (PacketRing ring in _rings)
        {
            ring.Write([], _clock, 0, 0, ClockTickTag, _clock);
            ring.Flush();
        }
    }

    /// <summary>Reader: makes every packet handed over so far visible to the workers now.</summary>
    public void Flush()
    {
        foreach (PacketRing ring in _rings)
        {
            ring.Flush();
        }
    }

    /// <summary>Reader: no more packets; waits until every worker has processed what it was given.</summary>
    public void CompleteAndJoin()
    {
        foreach (PacketRing ring in _rings)
        {
            ring.Complete();
        }

        foreach (Thread thread in _threads)
        {
            thread.Join();
        }

        if (_failure is not null)
        {
            throw new InvalidOperationException("a packet thread failed: " + _failure.Message, _failure);
        }
    }

    private void Work(int worker)
    {
        PacketRing ring = _rings[worker];
        SensorEngine engine = _shards[worker].Engine;
        int current = -1;
        var idle = default(SpinWait);
        try
        {
            while (true)
            {
                // Read the flag first: once it is set, an empty ring means everything was processed.
                bool completed = ring.IsCompleted;
                if (!ring.TryRead(out RingPacket packet))
                {
                    if (completed)
                    {
                        return;
                    }

                    // Spin briefly (the reader is usually just behind), then sleep: an idle live
                    // sensor must not keep a core busy.
                    if (idle.Count < SpinsBeforeSleeping)
                    {
                        idle.SpinOnce(sleep1Threshold: -1);
                    }
                    else
                    {
                        Thread.Sleep(1);
                    }

                    continue;
                }

                idle.Reset();
                if (packet.Tag == ClockTickTag)
                {
                    engine.AdvanceTime(packet.ClockMicros);
                    ring.Release(packet);
                    continue;
                }

                if (packet.Tag != current)
                {
                    if (current >= 0 && !_continuous)
                    {
                        engine.EndOfSource();
                    }

                    current = packet.Tag;
                    _shards[worker].BeginSource(_sources[current], _linkTypes[current]);
                }

                engine.ProcessPacket(packet.Data, packet.TimestampMicros, packet.WireLength, packet.Number, packet.ClockMicros);
                ring.Release(packet);
            }
        }
        catch (Exception e)
        {
            // Never expected (the engine counts bad input instead of throwing); keep the reader from waiting for ever.
            _failure = e;
            while (ring.TryRead(out RingPacket rest))
            {
                ring.Release(rest);
            }
        }
    }
}
