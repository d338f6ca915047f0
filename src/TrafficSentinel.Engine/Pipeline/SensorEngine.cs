using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.Engine.Flows;

namespace TrafficSentinel.Engine.Pipeline;

/// <summary>
/// The per-packet pipeline: decode, track the flow, offer the payload to the detectors the flow
/// still interests, and report detections and ended flows to the observer. One instance per
/// packet thread; <c>ProcessPacket</c> allocates nothing and never throws on bad input. With
/// <see cref="EngineOptions.ClassifierThread"/> the flow classifier runs on a thread of the engine's
/// own; dispose the engine to stop it.
/// </summary>
public sealed class SensorEngine : IFlowObserver, IDisposable
{
    /// <summary>A judgement made on the classifier thread is reported once this many packets have followed it (or sooner).</summary>
    public const long ClassifierLagPackets = 8192;

    private readonly FlowTable _flows;
    private readonly DetectorSet _detectors;
    private readonly IEngineObserver? _observer;
    private readonly long _sweepInterval;
    private readonly ulong _tcpMask;
    private readonly ulong _udpMask;
    private readonly ulong _otherMask;
    private readonly IFlowClassifier? _classifier;
    private readonly ulong[] _classifierBits = [];
    private readonly long _classifierThreshold = long.MaxValue;
    private readonly long _classifierMinPackets;
    private readonly ClassifierQueue? _classifierQueue;

    // The packet count at which the oldest judgement on the classifier thread is due back (see TakeDueClassified).
    private long _classifierDue = long.MaxValue;
    private int _linkType = Decoding.LinkType.Ethernet;
    private long _clock = long.MinValue;
    private long _nextSweep = long.MinValue;

    /// <summary>An engine with its detectors, an observer for detections and ended flows, and an optional classifier.</summary>
    /// <param name="options">Flow table and sweep settings.</param>
    /// <param name="detectors">The detectors, offered every undecided flow's payload packets.</param>
    /// <param name="observer">Receives detections and ended flows.</param>
    /// <param name="classifier">The fallback for flows no detector decides (null: none, and no per-packet feature work).</param>
    public SensorEngine(EngineOptions options, DetectorSet detectors, IEngineObserver? observer = null, IFlowClassifier? classifier = null)
    {
        _detectors = detectors;
        _observer = observer;
        _sweepInterval = options.SweepIntervalMicros;
        _flows = new FlowTable(options.Flows, this);
        _tcpMask = MaskOf(detectors.Tcp);
        _udpMask = MaskOf(detectors.Udp);
        _otherMask = MaskOf(detectors.OtherIp);
        if (classifier is not null)
        {
            _classifier = classifier;
            _classifierThreshold = Math.Max(1, classifier.PacketThreshold);
            _classifierBits = ClassifierBits(detectors, classifier);
            _classifierMinPackets = classifier.MinPackets;
            if (options.ClassifierThread)
            {
                _classifierQueue = new ClassifierQueue(classifier, options.ClassifierQueueCapacity, "sentinel classifier");
            }
        }
    }

    public EngineCounters Counters { get; } = new();

    public FlowTable Flows => _flows;

    public DetectorSet Detectors => _detectors;

    /// <summary>The flow classifier, when one is configured.</summary>
    public IFlowClassifier? Classifier => _classifier;

    /// <summary>Flows handed to the classifier so far.</summary>
    public long FlowsClassified { get; private set; }

    /// <summary>Times the packet thread waited for the classifier thread to judge a flow (0 without one).</summary>
    public long ClassifierWaits => _classifierQueue?.EngineWaits ?? 0;

    /// <summary>The engine's packet-time clock: the latest timestamp seen, never going back.</summary>
    public long ClockMicros => _clock;

    /// <summary>Sets the DLT of the packets that follow (call once per capture source).</summary>
    public void SetLinkType(int linkType) => _linkType = linkType;

    public int CurrentLinkType => _linkType;

    /// <summary>Processes one captured frame.</summary>
    public void ProcessPacket(ReadOnlySpan<byte> frame, long timestampMicros, int wireLength, long packetNumber) =>
        ProcessPacket(frame, timestampMicros, wireLength, packetNumber, timestampMicros);

    /// <summary>
    /// Processes one captured frame, with packet time for flow timing given apart from the frame's
    /// own timestamp: a capture thread that feeds several engines passes its clock (the latest
    /// timestamp it has read), so that every engine times flows as a single engine would.
    /// </summary>
    public void ProcessPacket(ReadOnlySpan<byte> frame, long timestampMicros, int wireLength, long packetNumber, long clockMicros)
    {
        EngineCounters counters = Counters;
        counters.Packets++;
        counters.WireBytes += wireLength;
        counters.CapturedBytes += frame.Length;

        DecodeStatus status = PacketDecoder.TryDecode(_linkType, frame, out PacketInfo info);
        if (status != DecodeStatus.Ok)
        {
            counters.Count(status);
            return;
        }

        long now = AdvanceClock(clockMicros);
        if (counters.Packets >= _classifierDue)
        {
            TakeDueClassified();
        }

        int index = _flows.Track(in info, now, out bool fromA, out _);
        ref FlowRecord flow = ref _flows[index];
        bool hasPayload = info.PayloadLength > 0;
        int payloadIndex = flow.PayloadPacketsAtoB + flow.PayloadPacketsBtoA;
        if (fromA)
        {
            flow.PacketsAtoB++;
            flow.BytesAtoB += wireLength;
            flow.TcpFlagsAtoB |= info.TcpFlags;
            if (hasPayload)
            {
                flow.PayloadPacketsAtoB++;
            }
        }
        else
        {
            flow.PacketsBtoA++;
            flow.BytesBtoA += wireLength;
            flow.TcpFlagsBtoA |= info.TcpFlags;
            if (hasPayload)
            {
                flow.PayloadPacketsBtoA++;
            }
        }

        bool classify = _classifier is not null && (flow.Flags & (FlowFlags.Decided | FlowFlags.Classified)) == 0;
        if (classify)
        {
            flow.Features.Update(info.Payload(frame), fromA == flow.ClientIsA, now - flow.FirstSeenMicros);
        }

        if (hasPayload && (flow.Flags & (FlowFlags.Decided | FlowFlags.Undecidable)) == 0)
        {
            Inspect(ref flow, in info, frame, fromA, payloadIndex, timestampMicros, packetNumber);
        }

        if (classify && (flow.Flags & FlowFlags.Decided) == 0 && flow.PacketsAtoB + flow.PacketsBtoA >= _classifierThreshold)
        {
            Classify(ref flow, index, in info, timestampMicros, packetNumber);
        }

        if (info.Protocol == IpProtocol.Tcp && (info.TcpFlags & (TcpFlags.Fin | TcpFlags.Rst)) != 0)
        {
            OnTcpTeardown(ref flow, index, info.TcpFlags, fromA);
        }
    }

    /// <summary>
    /// Moves packet time forward without a packet (live capture's read timeouts) and runs expiry;
    /// reports every judgement handed to the classifier thread so far (the link is quiet).
    /// </summary>
    public void AdvanceTime(long nowMicros)
    {
        AdvanceClock(nowMicros);
        TakeClassified(long.MaxValue);
    }

    /// <summary>
    /// Reports every judgement handed to the classifier thread so far, waiting for the thread; call it
    /// before the observer's context changes (another capture file joining a continuous replay).
    /// </summary>
    public void TakeClassifierResults() => TakeClassified(long.MaxValue);

    /// <summary>Ends every remaining flow (end of input, or the sensor stopping) and reports every judgement still on the classifier thread.</summary>
    public void Finish()
    {
        _flows.Flush(FlowEndReason.EndOfInput);
        TakeClassified(long.MaxValue);
    }

    /// <summary>
    /// Ends a capture source whose flows must not run on into the next one: every flow ends and
    /// packet time starts afresh, so the next file's timestamps stand on their own.
    /// </summary>
    public void EndOfSource()
    {
        Finish();
        _clock = long.MinValue;
        _nextSweep = long.MinValue;
    }

    void IFlowObserver.OnFlowEnded(ref FlowRecord flow, FlowEndReason reason)
    {
        if (_classifier is not null && (flow.Flags & (FlowFlags.Decided | FlowFlags.Classified)) == 0)
        {
            PacketInfo noPacket = default;
            Classify(ref flow, -1, in noPacket, flow.LastSeenMicros, 0);
        }

        _observer?.OnFlowEnded(ref flow, reason);

        // An active timeout continues the same connection, so detector state lives on.
        if (reason != FlowEndReason.ActiveTimeout)
        {
            foreach (int i in _detectors.FlowEndHooks)
            {
                _detectors[i].OnFlowEnded(_detectors.StateOf(i, ref flow.DetectorState));
            }
        }
    }

    private long AdvanceClock(long timestampMicros)
    {
        if (timestampMicros > _clock)
        {
            _clock = timestampMicros;
            if (_clock >= _nextSweep)
            {
                if (_nextSweep != long.MinValue)
                {
                    _flows.Expire(_clock);
                }

                _nextSweep = _clock + _sweepInterval;
            }
        }

        return _clock;
    }

    private void Inspect(ref FlowRecord flow, in PacketInfo info, ReadOnlySpan<byte> frame, bool fromA, int payloadIndex, long timestampMicros, long packetNumber)
    {
        int[] candidates;
        ulong transportMask;
        switch (info.Protocol)
        {
            case IpProtocol.Tcp:
                candidates = _detectors.Tcp;
                transportMask = _tcpMask;
                break;
            case IpProtocol.Udp:
                candidates = _detectors.Udp;
                transportMask = _udpMask;
                break;
            default:
                candidates = _detectors.OtherIp;
                transportMask = _otherMask;
                break;
        }

        ulong excluded = flow.ExcludedDetectors;
        if ((excluded & transportMask) == transportMask)
        {
            flow.Flags |= FlowFlags.Undecidable;
            return;
        }

        Counters.PayloadPacketsInspected++;
        bool fromClient = fromA == flow.ClientIsA;
        var context = new PacketContext(in info, in flow, info.Payload(frame), fromClient, payloadIndex, timestampMicros);
        for (int c = 0; c < candidates.Length; c++)
        {
            int i = candidates[c];
            ulong bit = 1UL << i;
            if ((excluded & bit) != 0)
            {
                continue;
            }

            FlowDetector detector = _detectors[i];
            if (payloadIndex >= detector.PacketBudget)
            {
                excluded |= bit;
                continue;
            }

            Span<byte> state = _detectors.StateOf(i, ref flow.DetectorState);
            DetectionMatch match = default;
            DetectorVerdict verdict = detector.Inspect(in context, state, ref match);
            if (verdict == DetectorVerdict.Continue)
            {
                continue;
            }

            excluded |= bit;
            if (verdict == DetectorVerdict.Match)
            {
                flow.ExcludedDetectors = excluded;
                flow.Flags |= FlowFlags.Decided;
                ulong protocolBit = 1UL << _detectors.ProtocolBit(i);
                if ((flow.AlertedProtocols & protocolBit) == 0)
                {
                    flow.AlertedProtocols |= protocolBit;
                    Counters.Detections++;
                    _observer?.OnDetection(new DetectionEvent(in flow, in info, detector, match, state, timestampMicros, packetNumber));
                }

                return;
            }
        }

        flow.ExcludedDetectors = excluded;
        if ((excluded & transportMask) == transportMask)
        {
            flow.Flags |= FlowFlags.Undecidable;
        }
    }

    /// <summary>
    /// Judges an undecided flow once (<paramref name="index"/>: its flow-table slot, −1 when it has
    /// ended); a tunnel verdict goes to the observer like a detection, at once or, with a classifier
    /// thread, when <see cref="TakeClassified"/> takes it back.
    /// </summary>
    private void Classify(ref FlowRecord flow, int index, in PacketInfo info, long timestampMicros, long packetNumber)
    {
        flow.Flags |= FlowFlags.Classified;
        FlowsClassified++;
        if (flow.Packets < _classifierMinPackets)
        {
            return;
        }

        if (_classifierQueue is { } queue)
        {
            if (queue.IsFull)
            {
                TakeClassified(queue.Tail + 1);
            }

            ref ClassifierRequest request = ref queue.Reserve();
            request.Flow = flow;
            request.Packet = info;
            request.TimestampMicros = timestampMicros;
            request.PacketNumber = packetNumber;
            request.FlowIndex = index;
            request.PublishedAtPacket = Counters.Packets;
            queue.Publish();
            if (_classifierDue == long.MaxValue)
            {
                _classifierDue = request.PublishedAtPacket + ClassifierLagPackets;
            }

            return;
        }

        ClassifierVerdict verdict = default;
        if (_classifier!.TryClassify(in flow, ref verdict) && ClaimClassifierAlert(ref flow.AlertedProtocols, verdict))
        {
            ReportClassified(in flow, verdict, in info, timestampMicros, packetNumber);
        }
    }

    /// <summary>
    /// Reports the classifier thread's judgements handed over before position <paramref name="upTo"/>,
    /// oldest first, waiting for those not judged yet. A flow still in the table takes the alert's
    /// protocol bit, so a detector matching it later does not alert the same protocol again; a
    /// detector that already did (after the judgement, before this) keeps the classifier from
    /// repeating it. Taking verdicts back there instead would make the packet thread wait for the
    /// classifier thread thousands of times in a replay (0.1 s of 1 GB).
    /// </summary>
    private void TakeClassified(long upTo)
    {
        if (_classifierQueue is not { } queue)
        {
            return;
        }

        while (queue.Tail < Math.Min(upTo, queue.Head))
        {
            ref ClassifierRequest request = ref queue.WaitOldest();
            if (request.Tunnel && ClaimClassifierAlert(ref request.Flow.AlertedProtocols, request.Verdict))
            {
                bool report = true;
                if (request.FlowIndex >= 0)
                {
                    ref FlowRecord live = ref _flows[request.FlowIndex];
                    if (live.Id == request.Flow.Id)
                    {
                        report = ClaimClassifierAlert(ref live.AlertedProtocols, request.Verdict);
                    }
                }

                if (report)
                {
                    ReportClassified(in request.Flow, request.Verdict, in request.Packet, request.TimestampMicros, request.PacketNumber);
                }
            }

            queue.Release();
        }

        _classifierDue = queue.Tail < queue.Head ? queue.At(queue.Tail).PublishedAtPacket + ClassifierLagPackets : long.MaxValue;
    }

    /// <summary>
    /// Reports the judgements handed over at least <see cref="ClassifierLagPackets"/> packets ago,
    /// oldest first. Counted in packets of the input, so a replay reports them at the same packets
    /// on every run, and late enough that the classifier thread has finished them (a busy engine
    /// does not wait for it). A live sensor also takes every judgement back at each
    /// <see cref="AdvanceTime"/>, so a slow link gets its alerts within the capture's tick.
    /// </summary>
    private void TakeDueClassified()
    {
        ClassifierQueue queue = _classifierQueue!;
        long due = queue.Tail;
        while (due < queue.Head && Counters.Packets - queue.At(due).PublishedAtPacket >= ClassifierLagPackets)
        {
            due++;
        }

        TakeClassified(due);
    }

    /// <summary>Sets the verdict's one-alert-per-protocol bit in <paramref name="alerted"/>; false when it was set already (or the label is unknown).</summary>
    private bool ClaimClassifierAlert(ref ulong alerted, ClassifierVerdict verdict)
    {
        if ((uint)verdict.LabelIndex >= (uint)_classifierBits.Length)
        {
            return false;
        }

        ulong protocolBit = _classifierBits[verdict.LabelIndex];
        if ((alerted & protocolBit) != 0)
        {
            return false;
        }

        alerted |= protocolBit;
        return true;
    }

    private void ReportClassified(in FlowRecord flow, ClassifierVerdict verdict, in PacketInfo info, long timestampMicros, long packetNumber)
    {
        Counters.Detections++;
        var match = new DetectionMatch
        {
            Method = DetectionMethod.Ml,
            Confidence = verdict.Probability,
            EvidenceCode = (int)Math.Min(flow.Packets, int.MaxValue),
        };
        _observer?.OnDetection(new DetectionEvent(in flow, in info, _classifier!.Labels[verdict.LabelIndex], match, default, timestampMicros, packetNumber));
    }

    /// <summary>Stops the classifier thread, if there is one (after <see cref="Finish"/>, or judgements still queued are lost).</summary>
    public void Dispose() => _classifierQueue?.Dispose();

    /// <summary>
    /// The one-alert-per-protocol bit of each classifier label: the detectors' bit for a protocol a
    /// detector also reports, otherwise bits after the detectors' own.
    /// </summary>
    private static ulong[] ClassifierBits(DetectorSet detectors, IFlowClassifier classifier)
    {
        var protocols = new List<string>(detectors.Protocols);
        var bits = new ulong[classifier.Labels.Count];
        for (int i = 0; i < bits.Length; i++)
        {
            int bit = protocols.IndexOf(classifier.Labels[i].Protocol);
            if (bit < 0)
            {
                bit = protocols.Count;
                protocols.Add(classifier.Labels[i].Protocol);
            }

            bits[i] = 1UL << Math.Min(bit, 63);
        }

        return bits;
    }

    private void OnTcpTeardown(ref FlowRecord flow, int index, TcpFlags flags, bool fromA)
    {
        if ((flags & TcpFlags.Rst) != 0)
        {
            flow.Flags |= FlowFlags.Reset;
        }
        else
        {
            flow.Flags |= fromA ? FlowFlags.FinFromA : FlowFlags.FinFromB;
        }

        if ((flow.Flags & FlowFlags.Reset) != 0 || (flow.Flags & (FlowFlags.FinFromA | FlowFlags.FinFromB)) == (FlowFlags.FinFromA | FlowFlags.FinFromB))
        {
            _flows.MarkClosed(index);
        }
    }

    private static ulong MaskOf(int[] indexes)
    {
        ulong mask = 0;
        foreach (int i in indexes)
        {
            mask |= 1UL << i;
        }

        return mask;
    }
}
