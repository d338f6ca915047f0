using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TrafficSentinel.Engine.Protocols.WireGuard;

namespace TrafficSentinel.Engine.Detection.Detectors;

/// <summary>
/// WireGuard over UDP, on any port, from the handshake when it is in view and from the shape of the
/// transport data when it is not.
/// <list type="bullet">
/// <item>Signature: a handshake message's sender index (initiation or response) coming back from the
/// other side, as a response's receiver index (whitepaper §5.4.3), a cookie reply's (§5.4.7) or a
/// transport packet's (§5.4.6). Two packets, one each way, linked by a random 32-bit value.</item>
/// <item>Heuristic: type-4 packets only, each direction with one constant receiver index and a
/// 64-bit counter that increases, lengths 32 + 16k; or three or more unanswered initiations.</item>
/// </list>
/// Every payload must be a well-formed message (strict sizes, zero reserved bytes); the first one
/// that is not excludes the flow. Tailscale's disco messages, which share the WireGuard socket, are
/// tolerated. Cloudflare WARP's 0xc1–0xc4 dialect is recognised from its 0xc2 response's sender
/// index and routing id coming back in the initiator's 0xc4 transport packets.
/// </summary>
public sealed class WireGuardDetector : FlowDetector
{
    /// <summary>Transport packets with a consistent index/counter, both directions together, for a heuristic match.</summary>
    internal const int BothDirectionsPackets = 6;

    /// <summary>Of those, at least this many each way.</summary>
    internal const int PerDirectionPackets = 2;

    /// <summary>Consistent transport packets in one direction alone for a (weaker) heuristic match.</summary>
    internal const int OneDirectionPackets = 10;

    /// <summary>Unanswered initiations (distinct sender indexes, one side only) for a heuristic match.</summary>
    internal const int UnansweredInitiations = 3;

    /// <summary>Index changes, counter jumps and unmatched handshake messages tolerated before giving up.</summary>
    internal const int MaxAnomalies = 4;

    /// <summary>A counter may move forward by at most this much between two packets seen (capture loss).</summary>
    internal const ulong MaxCounterStep = 1 << 16;

    /// <summary>Older counters within this distance are reordering, not anomalies.</summary>
    internal const ulong ReorderWindow = 64;

    public override string Protocol => "wireguard";

    public override string Category => "vpn";

    public override DetectorTransports Transports => DetectorTransports.Udp;

    /// <summary>
    /// The handshake decides in 2 packets; transport-only needs 6 (both directions) or 10 (one),
    /// with room for Tailscale's disco messages in between.
    /// </summary>
    public override int PacketBudget => 32;

    public override int StateSize => WireGuardFlowState.Size;

    public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
    {
        ref WireGuardFlowState s = ref MemoryMarshal.AsRef<WireGuardFlowState>(state);
        ReadOnlySpan<byte> payload = packet.Payload;
        if (!WireGuardMessage.TryParse(payload, out WireGuardMessage m))
        {
            if (TailscaleDiscoMessage.TryParse(payload, out _))
            {
                if (s.Disco < byte.MaxValue)
                {
                    s.Disco++;
                }

                return DetectorVerdict.Continue;
            }

            return DetectorVerdict.Exclude;
        }

        // One dialect per flow.
        if (m.Variant == WireGuardVariant.CloudflareWarp)
        {
            if ((s.Flags & StateFlags.Standard) != 0)
            {
                return DetectorVerdict.Exclude;
            }

            s.Flags |= StateFlags.Warp;
        }
        else
        {
            if ((s.Flags & StateFlags.Warp) != 0)
            {
                return DetectorVerdict.Exclude;
            }

            s.Flags |= m.Variant == WireGuardVariant.TunnelBear ? StateFlags.Standard | StateFlags.TunnelBear : StateFlags.Standard;
        }

        int d = packet.FromClient ? 0 : 1;
        ref DirectionState own = ref s.Directions[d];
        ref DirectionState peer = ref s.Directions[1 - d];
        switch (m.Type)
        {
            case WireGuardMessageType.HandshakeInitiation:
                return OnInitiation(ref s, ref own, ref peer, in m, d, ref match);

            case WireGuardMessageType.HandshakeResponse:
                return OnResponse(ref s, ref own, ref peer, in m, d, ref match);

            case WireGuardMessageType.CookieReply:
                if ((peer.Flags & DirectionFlags.Announced) != 0 && m.ReceiverIndex == peer.Announced)
                {
                    return Decide(ref match, DetectionMethod.Signature, 0.95f, Evidence.CookieReply, in s, initiator: 1 - d);
                }

                return Anomaly(ref s);

            default:
                return OnTransport(ref s, ref own, ref peer, in m, d, ref match);
        }
    }

    public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match)
    {
        WireGuardFlowState s = MemoryMarshal.Read<WireGuardFlowState>(state);
        var kind = (Evidence)(match.EvidenceCode & 0xff);
        bool warp = (match.EvidenceCode & EvidenceWarp) != 0;
        bool tunnelBear = (match.EvidenceCode & EvidenceTunnelBear) != 0;
        int initiator = (match.EvidenceCode & EvidenceInitiatorIsServer) != 0 ? 1 : 0;
        string initiatorName = initiator == 0 ? "client" : "server";
        string responderName = initiator == 0 ? "server" : "client";
        DirectionState init = s.Directions[initiator];
        DirectionState resp = s.Directions[1 - initiator];
        string dialect = warp ? "Cloudflare WARP WireGuard (types 0xc1-0xc4)" : tunnelBear ? "WireGuard, TunnelBear sizes (204/100 B handshake)" : "WireGuard";
        var text = new StringBuilder(dialect);
        switch (kind)
        {
            case Evidence.HandshakeResponse:
                text.Append(CultureInfo.InvariantCulture, $" handshake: initiation from {initiatorName} with sender index {Hex(init.Announced)} → response from {responderName} with receiver index {Hex(init.Announced)} (echoed), sender index {Hex(resp.Announced)}");
                break;
            case Evidence.CookieReply:
                text.Append(CultureInfo.InvariantCulture, $" handshake: initiation from {initiatorName} with sender index {Hex(init.Announced)} → cookie reply (64 B) from {responderName} to that index (responder under load)");
                break;
            case Evidence.TransportAfterHandshake:
                {
                    // The announcing side is the one whose index the transport packet carried.
                    int announcer = (match.EvidenceCode & EvidenceTransportFromServer) != 0 ? 0 : 1;
                    DirectionState a = s.Directions[announcer];
                    DirectionState t = s.Directions[1 - announcer];
                    string message = warp ? "0xc2 response" : (a.Flags & DirectionFlags.AnnouncedByResponse) != 0 ? "handshake response" : "handshake initiation";
                    text.Append(CultureInfo.InvariantCulture, $": {message} from {Side(announcer)} with sender index {Hex(a.Announced)} → transport data from {Side(1 - announcer)} to receiver index {Hex(t.TransportIndex)} (counter {t.Counter})");
                    if (warp)
                    {
                        text.Append(CultureInfo.InvariantCulture, $", routing id {Hex(s.WarpReserved)} echoed");
                    }

                    break;
                }

            case Evidence.UnansweredInitiations:
                text.Append(CultureInfo.InvariantCulture, $": {init.Initiations} handshake initiations from {initiatorName} with distinct sender indexes (last {Hex(init.Announced)}), no answer: peer unreachable or blocked");
                break;
            default:
                {
                    text.Append(" transport data, handshake not in view:");
                    AppendDirection(text, "client→server", s.Directions[0]);
                    text.Append(';');
                    AppendDirection(text, "server→client", s.Directions[1]);
                    if (warp)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"; routing id {Hex(s.WarpReserved)} constant");
                    }
                    else
                    {
                        text.Append((s.Flags & StateFlags.Unpadded) != 0 ? "; some lengths not 32+16k (unpadded implementation)" : "; every length 32+16k");
                    }

                    break;
                }
        }

        if ((s.Flags & StateFlags.Mac2NonZero) != 0)
        {
            text.Append("; mac2 set (cookie in use)");
        }
        else if (kind is Evidence.HandshakeResponse or Evidence.UnansweredInitiations && !warp && !tunnelBear)
        {
            text.Append("; mac2 zero");
        }

        if (s.Disco > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; {s.Disco} Tailscale disco message(s) on the same flow");
        }

        return text.ToString();

        static string Side(int direction) => direction == 0 ? "client" : "server";
    }

    private static void AppendDirection(StringBuilder text, string name, in DirectionState dir)
    {
        if (dir.TransportCount == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" {name} none");
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $" {name} {dir.TransportCount} packets to receiver index {Hex(dir.TransportIndex)}, counter increasing to {dir.Counter}");
    }

    private static string Hex(uint value) => "0x" + value.ToString("x8", CultureInfo.InvariantCulture);

    private static DetectorVerdict OnInitiation(ref WireGuardFlowState s, ref DirectionState own, ref DirectionState peer, in WireGuardMessage m, int d, ref DetectionMatch match)
    {
        if (m.Variant == WireGuardVariant.Standard && !m.Mac2Zero)
        {
            s.Flags |= StateFlags.Mac2NonZero;
        }

        // Each new initiation carries a fresh sender index (wireguard-go CreateMessageInitiation).
        bool fresh = (own.Flags & DirectionFlags.Announced) == 0 || own.Announced != m.SenderIndex;
        own.Announced = m.SenderIndex;
        own.Flags = (own.Flags | DirectionFlags.Announced) & ~DirectionFlags.AnnouncedByResponse;
        if (!fresh)
        {
            return Anomaly(ref s);
        }

        if (own.Initiations < byte.MaxValue)
        {
            own.Initiations++;
        }

        // Retried initiations (RekeyTimeout 5 s) with nothing coming back: a blocked or dead peer.
        if (own.Initiations >= UnansweredInitiations && peer.Flags == DirectionFlags.None && own.TransportCount == 0 && s.Disco == 0)
        {
            return Decide(ref match, DetectionMethod.Heuristic, 0.7f, Evidence.UnansweredInitiations, in s, initiator: d);
        }

        return DetectorVerdict.Continue;
    }

    private static DetectorVerdict OnResponse(ref WireGuardFlowState s, ref DirectionState own, ref DirectionState peer, in WireGuardMessage m, int d, ref DetectionMatch match)
    {
        if (m.Variant == WireGuardVariant.Standard && !m.Mac2Zero)
        {
            s.Flags |= StateFlags.Mac2NonZero;
        }

        own.Announced = m.SenderIndex;
        own.Flags |= DirectionFlags.Announced | DirectionFlags.AnnouncedByResponse;
        if (m.Variant == WireGuardVariant.CloudflareWarp)
        {
            // WARP's response does not echo the initiation's index as sent; its sender index and
            // routing id come back in the initiator's 0xc4 packets instead (see OnTransport). A zero
            // routing id would be QUIC v1's version bytes, never WARP's.
            if (m.Reserved == 0)
            {
                return DetectorVerdict.Exclude;
            }

            s.WarpReserved = m.Reserved;
            s.Flags |= StateFlags.WarpReservedSet;
            return DetectorVerdict.Continue;
        }

        // Whitepaper §5.4.3: the response's receiver index is the initiator's sender index.
        if ((peer.Flags & DirectionFlags.Announced) != 0 && (peer.Flags & DirectionFlags.AnnouncedByResponse) == 0 && m.ReceiverIndex == peer.Announced)
        {
            float confidence = (s.Flags & StateFlags.Mac2NonZero) == 0 ? 0.99f : 0.97f;
            return Decide(ref match, DetectionMethod.Signature, confidence, Evidence.HandshakeResponse, in s, initiator: 1 - d);
        }

        return Anomaly(ref s);
    }

    private static DetectorVerdict OnTransport(ref WireGuardFlowState s, ref DirectionState own, ref DirectionState peer, in WireGuardMessage m, int d, ref DetectionMatch match)
    {
        bool warp = m.Variant == WireGuardVariant.CloudflareWarp;
        if (warp)
        {
            if (m.Reserved == 0)
            {
                return DetectorVerdict.Exclude;
            }

            if ((s.Flags & StateFlags.WarpReservedSet) == 0)
            {
                s.WarpReserved = m.Reserved;
                s.Flags |= StateFlags.WarpReservedSet;
            }
            else if (m.Reserved != s.WarpReserved)
            {
                return Anomaly(ref s);
            }
        }
        else if (!m.IsPadded)
        {
            s.Flags |= StateFlags.Unpadded;
        }

        // Counters are per key and keys live at most RejectAfterTime (180 s): a counter beyond
        // 2^32 would need > 20 M packets/s.
        if ((m.Counter >> 32) != 0)
        {
            return Anomaly(ref s);
        }

        uint counter = (uint)m.Counter;

        // Transport to an index the other side announced in a handshake message (for WARP: the
        // 0xc2 response's sender index, with the routing id already checked above).
        if ((peer.Flags & DirectionFlags.Announced) != 0 && m.ReceiverIndex == peer.Announced && (!warp || (peer.Flags & DirectionFlags.AnnouncedByResponse) != 0))
        {
            own.TransportIndex = m.ReceiverIndex;
            own.Counter = counter;
            own.Flags |= DirectionFlags.Transport;
            if (own.TransportCount < byte.MaxValue)
            {
                own.TransportCount++;
            }

            int initiator = (peer.Flags & DirectionFlags.AnnouncedByResponse) != 0 ? d : 1 - d;
            DetectorVerdict v = Decide(ref match, DetectionMethod.Signature, 0.97f, Evidence.TransportAfterHandshake, in s, initiator);
            if (d == 1)
            {
                match.EvidenceCode |= EvidenceTransportFromServer;
            }

            return v;
        }

        if ((own.Flags & DirectionFlags.Transport) == 0 || m.ReceiverIndex != own.TransportIndex)
        {
            // First transport packet this way, or a new session after a rekey we did not see.
            bool restart = (own.Flags & DirectionFlags.Transport) != 0;
            own.TransportIndex = m.ReceiverIndex;
            own.Counter = counter;
            own.TransportCount = 1;
            own.Flags |= DirectionFlags.Transport;
            return restart ? Anomaly(ref s) : DetectorVerdict.Continue;
        }

        if (counter > own.Counter)
        {
            if (counter - own.Counter > MaxCounterStep)
            {
                own.Counter = counter;
                own.TransportCount = 1;
                return Anomaly(ref s);
            }

            own.Counter = counter;
            if (own.TransportCount < byte.MaxValue)
            {
                own.TransportCount++;
            }
        }
        else if (own.Counter - counter > ReorderWindow)
        {
            return Anomaly(ref s);
        }
        else
        {
            // Duplicate or reordered: neither evidence nor an anomaly.
            return DetectorVerdict.Continue;
        }

        int scale = !warp && (s.Flags & StateFlags.Unpadded) != 0 ? 2 : 1;
        int a = s.Directions[0].TransportCount;
        int b = s.Directions[1].TransportCount;
        if (Math.Min(a, b) >= PerDirectionPackets * scale && a + b >= BothDirectionsPackets * scale)
        {
            return Decide(ref match, DetectionMethod.Heuristic, scale == 1 ? 0.85f : 0.75f, Evidence.TransportBothDirections, in s, initiator: 0);
        }

        if (Math.Max(a, b) >= OneDirectionPackets * scale)
        {
            return Decide(ref match, DetectionMethod.Heuristic, scale == 1 ? 0.65f : 0.55f, Evidence.TransportOneDirection, in s, initiator: 0);
        }

        return DetectorVerdict.Continue;
    }

    private static DetectorVerdict Anomaly(ref WireGuardFlowState s)
    {
        s.Anomalies++;
        return s.Anomalies > MaxAnomalies ? DetectorVerdict.Exclude : DetectorVerdict.Continue;
    }

    private static DetectorVerdict Decide(ref DetectionMatch match, DetectionMethod method, float confidence, Evidence kind, in WireGuardFlowState s, int initiator)
    {
        int code = (int)kind;
        if ((s.Flags & StateFlags.Warp) != 0)
        {
            code |= EvidenceWarp;
        }

        if ((s.Flags & StateFlags.TunnelBear) != 0)
        {
            code |= EvidenceTunnelBear;
        }

        if (initiator == 1)
        {
            code |= EvidenceInitiatorIsServer;
        }

        match.Method = method;
        match.Confidence = confidence;
        match.EvidenceCode = code;
        return DetectorVerdict.Match;
    }

    // EvidenceCode: low byte = Evidence, then flags.
    internal const int EvidenceWarp = 0x100;
    internal const int EvidenceTunnelBear = 0x200;
    internal const int EvidenceInitiatorIsServer = 0x400;
    internal const int EvidenceTransportFromServer = 0x800;

    internal enum Evidence : byte
    {
        None = 0,
        HandshakeResponse = 1,
        CookieReply = 2,
        TransportAfterHandshake = 3,
        UnansweredInitiations = 4,
        TransportBothDirections = 5,
        TransportOneDirection = 6,
    }

    [Flags]
    internal enum StateFlags : byte
    {
        None = 0,
        Standard = 0x01,
        TunnelBear = 0x02,
        Warp = 0x04,
        WarpReservedSet = 0x08,
        Mac2NonZero = 0x10,
        Unpadded = 0x20,
    }

    [Flags]
    internal enum DirectionFlags : byte
    {
        None = 0,

        /// <summary>This side sent a handshake message; <see cref="DirectionState.Announced"/> is its sender index.</summary>
        Announced = 0x01,

        /// <summary>…and that message was a response (otherwise an initiation).</summary>
        AnnouncedByResponse = 0x02,

        /// <summary>This side sent transport data; TransportIndex/Counter are set.</summary>
        Transport = 0x04,
    }

    /// <summary>What one side (client or server) has sent.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    internal struct DirectionState
    {
        /// <summary>Sender index of this side's last initiation or response.</summary>
        public uint Announced;

        /// <summary>Receiver index of this side's current transport session.</summary>
        public uint TransportIndex;

        /// <summary>Highest transport counter seen in that session (low 32 bits; the high ones must be 0).</summary>
        public uint Counter;

        /// <summary>Transport packets of that session with increasing counters (saturating).</summary>
        public byte TransportCount;

        /// <summary>Initiations with distinct sender indexes (saturating).</summary>
        public byte Initiations;

        public DirectionFlags Flags;
    }

    [InlineArray(2)]
    internal struct DirectionPair
    {
        private DirectionState _element0;
    }

    /// <summary>The per-flow state: 2 × 15 + 4 + 3 = 37 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    internal struct WireGuardFlowState
    {
        public const int Size = 37;

        /// <summary>[0] = sent by the client, [1] = sent by the server.</summary>
        public DirectionPair Directions;

        /// <summary>WARP's routing id (bytes 1–3 of 0xc2/0xc4).</summary>
        public uint WarpReserved;

        public StateFlags Flags;

        /// <summary>Tailscale disco messages seen (saturating).</summary>
        public byte Disco;

        public byte Anomalies;
    }
}
