using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Protocols.OpenVpn;

namespace TrafficSentinel.Engine.Detection.Detectors;

/// <summary>
/// OpenVPN over UDP and TCP (2-byte length framing followed across segments), on any port. Three
/// independent paths run over the same packets until one decides:
/// <list type="number">
/// <item>Handshake (Signature): each direction's first packet is a hard reset whose layout (no
/// wrapping, tls-auth with any HMAC size, tls-crypt, tls-crypt-v2) is inferred from where the
/// replay packet-id, net_time and ack array fall; then per direction the session id stays
/// constant, the replay packet-id increases and net_time stays put near the packet time, and the
/// ack arrays name the peer's session id. Match when the server's reset echoes the client's
/// session id, or both resets are followed by consistent packets both ways (tls-crypt hides the
/// ack array), or (asymmetric capture) 4 consistent packets one way and none back.</item>
/// <item>Opcode sequence (Heuristic, Xue et al. 2022, XOR-obfuscated servers): the two first bytes
/// are a client and a server reset under one XOR key; every later first byte decodes under that key
/// to a control, ack or data opcode with key_id 0; over TCP the length framing never breaks.</item>
/// <item>Data channel (Heuristic, handshake not captured): P_DATA_V2 with a constant opcode/peer-id
/// word and an AEAD packet-id increasing by small steps, per direction (or P_DATA_V1).</item>
/// </list>
/// </summary>
public sealed class OpenVpnDetector : FlowDetector
{
    /// <summary>Evidence kinds (low 4 bits of <see cref="DetectionMatch.EvidenceCode"/>).</summary>
    public const int EvidenceSessionEcho = 1;
    public const int EvidenceBothResets = 2;
    public const int EvidenceOneWay = 3;
    public const int EvidenceDataChannel = 4;
    public const int EvidenceOpcodeSequence = 5;

    private const int EvidenceTcpBit = 1 << 24;

    // TCP PDUs: a control packet is at least 14 bytes; OpenVPN bounds packets by the link MTU
    // (tun-mtu 9000 + overhead stays well below 16 KiB).
    private const int MinPdu = 14;
    private const int MaxPdu = 16384;
    private const int MaxFramingErrors = 3;

    // net_time must be this close to the packet time (seconds) when the capture clock is real.
    private const long MaxClockSkewSeconds = 2 * 86400;

    private const int OneWayPackets = 4;
    private const int BothWaysPackets = 2;
    private const int DataPacketsBothWays = 6;
    private const int DataPacketsOtherWay = 3;
    private const int DataPacketsOneWay = 10;
    private const uint MaxDataPacketIdStep = 1024;
    private const int OpcodeSequencePackets = 10;

    public override string Protocol => "openvpn";

    public override string Category => "vpn";

    public override DetectorTransports Transports => DetectorTransports.TcpAndUdp;

    /// <summary>Enough for TCP handshakes (6–12 segments), the opcode sequence (10 packets) and the data heuristic.</summary>
    public override int PacketBudget => 32;

    public override int StateSize => State.Size;

    public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
    {
        if (state.Length < State.Size)
        {
            return DetectorVerdict.Exclude;
        }

        ref State s = ref MemoryMarshal.AsRef<State>(state);
        int d = packet.FromClient ? 0 : 1;
        ReadOnlySpan<byte> payload = packet.Payload;
        if (packet.Packet.Protocol != IpProtocol.Tcp)
        {
            return OnPdu(ref s, d, payload, payload.Length, packet.TimestampMicros, packet.PayloadPacketIndex, ref match);
        }

        return OnTcpSegment(ref s, d, payload, packet.Packet.TcpSequence, packet.TimestampMicros, packet.PayloadPacketIndex, ref match);
    }

    public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match)
    {
        int code = match.EvidenceCode;
        var text = new StringBuilder("OpenVPN");
        bool tcp = (code & EvidenceTcpBit) != 0;
        State s = state.Length >= State.Size ? MemoryMarshal.Read<State>(state) : default;
        var clientReset = (OpenVpnOpcode)((code >> 16) & 0x0F);
        var serverReset = (OpenVpnOpcode)((code >> 20) & 0x0F);
        var wrapping = (OpenVpnWrapping)((code >> 4) & 0x03);
        int hmac = (code >> 8) & 0xFF;
        string layout = wrapping switch
        {
            OpenVpnWrapping.TlsAuth => $"tls-auth HMAC {hmac} bytes",
            OpenVpnWrapping.TlsCrypt => clientReset == OpenVpnOpcode.HardResetClientV3 ? "tls-crypt-v2" : "tls-crypt",
            OpenVpnWrapping.None => "no HMAC",
            _ => "layout unknown",
        };
        switch (code & 0x0F)
        {
            case EvidenceSessionEcho:
                text.Append($" {OpenVpnOpcodes.Name(clientReset)} → {OpenVpnOpcodes.Name(serverReset)}, session id {s.Client.SessionId:x16} echoed in the server's ACK array, {layout}");
                break;
            case EvidenceBothResets:
                text.Append($" {OpenVpnOpcodes.Name(clientReset)} → {OpenVpnOpcodes.Name(serverReset)}, {layout}, session ids {s.Client.SessionId:x16}/{s.Server.SessionId:x16} constant over {s.Client.ControlCount}+{s.Server.ControlCount} control packets");
                break;
            case EvidenceOneWay:
                var reset = clientReset != OpenVpnOpcode.Invalid ? clientReset : serverReset;
                ref readonly DirectionState one = ref s.Client.ControlCount >= s.Server.ControlCount ? ref s.Client : ref s.Server;
                text.Append($" {OpenVpnOpcodes.Name(reset)} then {one.ControlCount - 1} control packets with session id {one.SessionId:x16}, {layout}, one direction only (asymmetric capture)");
                break;
            case EvidenceDataChannel:
                text.Append(" data channel without handshake: ");
                AppendData(text, "client", in s.Client);
                text.Append("; ");
                AppendData(text, "server", in s.Server);
                break;
            case EvidenceOpcodeSequence:
                text.Append($" opcode sequence (Xue et al. 2022): first bytes {s.Client.FirstByte:x2}/{s.Server.FirstByte:x2} are client/server resets under XOR key {s.XorKey:x2}, then only control/ack/data opcodes (seen mask {s.XorOpcodeMask:x4}) with key_id 0");
                text.Append(s.XorKey != 0 ? ", obfuscated" : ", plain opcodes but handshake fields unreadable (packets split or unknown layout)");

                break;
            default:
                text.Append(" (evidence code ").Append(code).Append(')');
                break;
        }

        if ((code & 0x0F) is EvidenceSessionEcho or EvidenceBothResets or EvidenceOneWay && wrapping != OpenVpnWrapping.None)
        {
            text.Append(", replay packet-id increasing, net_time constant");
        }

        text.Append(tcp ? "; TCP with 2-byte length framing" : "; UDP");
        return text.ToString();
    }

    private static void AppendData(StringBuilder text, string who, in DirectionState dir)
    {
        if (dir.DataCount == 0)
        {
            text.Append(who).Append(" no data packets");
            return;
        }

        uint header = dir.DataHeader;
        if (header > 0xFF)
        {
            text.Append($"{who} P_DATA_V2 key_id {(header >> 24) & 7} peer-id {header & 0xFFFFFF} ×{dir.DataCount}, packet-id increasing to {dir.DataPacketId}");
        }
        else
        {
            text.Append($"{who} P_DATA_V1 key_id {header & 7} ×{dir.DataCount}, packet-id increasing to {dir.DataPacketId}");
        }
    }

    private static DetectorVerdict OnTcpSegment(ref State s, int d, ReadOnlySpan<byte> data, uint seq, long timestampMicros, int index, ref DetectionMatch match)
    {
        ref DirectionState dir = ref Dir(ref s, d);
        if ((dir.Flags & DirectionFlags.SeqKnown) != 0)
        {
            int delta = (int)(seq - dir.TcpNextSeq);
            if (delta < 0)
            {
                // Retransmission or overlap: drop what was already walked.
                if (-delta >= data.Length)
                {
                    return DetectorVerdict.Continue;
                }

                data = data[-delta..];
                seq = dir.TcpNextSeq;
            }
            else if (delta > 0)
            {
                // A segment is missing: framing is lost; try again at this segment's start.
                dir.Flags &= ~(DirectionFlags.Synced | DirectionFlags.PartialLength);
                dir.TcpRemaining = 0;
                if (!NoteFramingError(ref s))
                {
                    return DetectorVerdict.Exclude;
                }
            }
        }

        bool streamStart = (dir.Flags & DirectionFlags.SeqKnown) == 0;
        dir.TcpNextSeq = seq + (uint)data.Length;
        dir.Flags |= DirectionFlags.SeqKnown;
        s.Flags |= FlowState.Tcp;

        int offset = 0;
        if ((dir.Flags & DirectionFlags.HeaderPending) != 0)
        {
            // The previous segment ended right after a length prefix: this one starts the PDU.
            int pending = dir.TcpRemaining;
            dir.TcpRemaining = 0;
            dir.Flags &= ~DirectionFlags.HeaderPending;
            if ((dir.Flags & DirectionFlags.Synced) != 0)
            {
                DetectorVerdict verdict = OnFramedPdu(ref s, ref dir, d, data, pending, timestampMicros, index, ref match, out offset);
                if (verdict != DetectorVerdict.Continue || offset < 0)
                {
                    return verdict;
                }
            }
        }
        else if ((dir.Flags & DirectionFlags.Synced) != 0 && dir.TcpRemaining > 0)
        {
            int skip = Math.Min(dir.TcpRemaining, data.Length);
            dir.TcpRemaining = (ushort)(dir.TcpRemaining - skip);
            offset = skip;
        }

        while (offset < data.Length)
        {
            int length;
            if ((dir.Flags & DirectionFlags.PartialLength) != 0)
            {
                length = (dir.PartialLength << 8) | data[offset];
                offset++;
                dir.Flags &= ~DirectionFlags.PartialLength;
            }
            else if (data.Length - offset == 1)
            {
                if ((dir.Flags & DirectionFlags.Synced) != 0 || (streamStart && offset == 0))
                {
                    dir.PartialLength = data[offset];
                    dir.Flags |= DirectionFlags.PartialLength;
                }

                return DetectorVerdict.Continue;
            }
            else
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
                offset += 2;
            }

            if (length is < MinPdu or > MaxPdu)
            {
                dir.Flags &= ~DirectionFlags.Synced;
                dir.TcpRemaining = 0;
                return NoteFramingError(ref s) ? DetectorVerdict.Continue : DetectorVerdict.Exclude;
            }

            dir.Flags |= DirectionFlags.Synced;
            if (offset == data.Length)
            {
                // Only the length prefix is in this segment; the PDU's first bytes come next.
                dir.TcpRemaining = (ushort)length;
                dir.Flags |= DirectionFlags.HeaderPending;
                return DetectorVerdict.Continue;
            }

            DetectorVerdict verdict = OnFramedPdu(ref s, ref dir, d, data[offset..], length, timestampMicros, index, ref match, out int consumed);
            if (verdict != DetectorVerdict.Continue || consumed < 0)
            {
                return verdict;
            }

            offset += consumed;
        }

        return DetectorVerdict.Continue;
    }

    // One PDU of `length` bytes starting at rest[0]; consumed = its length, or -1 when it runs past the segment.
    private static DetectorVerdict OnFramedPdu(ref State s, ref DirectionState dir, int d, ReadOnlySpan<byte> rest, int length, long timestampMicros, int index, ref DetectionMatch match, out int consumed)
    {
        int available = Math.Min(length, rest.Length);
        consumed = available < length ? -1 : length;
        if (available < length)
        {
            dir.TcpRemaining = (ushort)(length - available);
        }

        if (available == 0)
        {
            return DetectorVerdict.Continue;
        }

        DetectorVerdict verdict = OnPdu(ref s, d, rest[..available], length, timestampMicros, index, ref match);
        if (verdict == DetectorVerdict.Match)
        {
            match.EvidenceCode |= EvidenceTcpBit;
        }

        return verdict;
    }

    private static bool NoteFramingError(ref State s)
    {
        s.FramingErrors++;
        s.Flags |= FlowState.XorDead;
        return s.FramingErrors < MaxFramingErrors || (s.Flags & FlowState.AnyProgress) != 0;
    }

    /// <summary>One OpenVPN packet: a UDP payload, or the first bytes of one TCP PDU of <paramref name="length"/> bytes.</summary>
    private static DetectorVerdict OnPdu(ref State s, int d, ReadOnlySpan<byte> pdu, int length, long timestampMicros, int index, ref DetectionMatch match)
    {
        ref DirectionState dir = ref Dir(ref s, d);
        ref DirectionState other = ref Dir(ref s, d ^ 1);
        byte first = pdu[0];
        bool firstOfDirection = (dir.Flags & DirectionFlags.Started) == 0;
        if (firstOfDirection)
        {
            dir.Flags |= DirectionFlags.Started;
            dir.FirstByte = first;
        }

        OpenVpnOpcode op = OpenVpnOpcodes.Of(first);
        if (op == OpenVpnOpcode.Invalid)
        {
            s.Flags |= FlowState.HandshakeDead | FlowState.DataDead;
        }

        DetectorVerdict verdict = DetectorVerdict.Continue;
        if ((s.Flags & FlowState.HandshakeDead) == 0)
        {
            verdict = OnHandshakePacket(ref s, ref dir, ref other, pdu, length, op, firstOfDirection, timestampMicros, ref match);
            if (verdict != DetectorVerdict.Continue)
            {
                return verdict;
            }
        }

        if ((s.Flags & FlowState.DataDead) == 0 && OpenVpnOpcodes.IsData(op))
        {
            verdict = OnDataPacket(ref s, ref dir, ref other, pdu, length, ref match);
            if (verdict != DetectorVerdict.Continue)
            {
                return verdict;
            }
        }

        if ((s.Flags & FlowState.XorDead) == 0)
        {
            verdict = OnOpcodeSequence(ref s, d, first, firstOfDirection, index, ref match);
            if (verdict != DetectorVerdict.Continue)
            {
                return verdict;
            }
        }

        const FlowState allDead = FlowState.HandshakeDead | FlowState.DataDead | FlowState.XorDead;
        return (s.Flags & allDead) == allDead ? DetectorVerdict.Exclude : DetectorVerdict.Continue;
    }

    private static DetectorVerdict OnHandshakePacket(ref State s, ref DirectionState dir, ref DirectionState other, ReadOnlySpan<byte> pdu, int length, OpenVpnOpcode op, bool firstOfDirection, long timestampMicros, ref DetectionMatch match)
    {
        if (!OpenVpnOpcodes.IsControlFamily(op))
        {
            if (firstOfDirection && !OpenVpnOpcodes.IsData(op))
            {
                s.Flags |= FlowState.HandshakeDead;
            }

            return DetectorVerdict.Continue;
        }

        if (firstOfDirection || (dir.Flags & DirectionFlags.ResetPending) != 0)
        {
            dir.Flags &= ~DirectionFlags.ResetPending;
            if (!OpenVpnOpcodes.IsReset(op) || OpenVpnOpcodes.KeyId(pdu[0]) != 0)
            {
                // Mid-flow control packet or not OpenVPN: the handshake path needs the resets.
                s.Flags |= FlowState.HandshakeDead;
                return DetectorVerdict.Continue;
            }

            var layout = new OpenVpnLayout(s.Wrapping, s.HmacSize);
            if (s.Wrapping == OpenVpnWrapping.Unknown)
            {
                if (!OpenVpnLayout.TryInferFromReset(pdu, length, out layout))
                {
                    if (pdu.Length < length)
                    {
                        // Only a prefix of a TCP PDU (a reset split over small segments, an anti-DPI
                        // trick): unreadable, but the client retransmits its reset whole or not at all.
                        dir.Flags |= DirectionFlags.ResetPending;
                        return DetectorVerdict.Continue;
                    }

                    s.Flags |= FlowState.HandshakeDead;
                    return DetectorVerdict.Continue;
                }

                s.Wrapping = layout.Wrapping;
                s.HmacSize = layout.HmacSize;
            }

            if (!OpenVpnControlPacket.TryParse(pdu, length, layout, out OpenVpnControlPacket reset) || !IsPlausibleReplay(in reset, timestampMicros, reset: true))
            {
                s.Flags |= FlowState.HandshakeDead;
                return DetectorVerdict.Continue;
            }

            bool client = OpenVpnOpcodes.IsClientReset(op);
            if ((other.Flags & (client ? DirectionFlags.ClientRole : DirectionFlags.ServerRole)) != 0)
            {
                s.Flags |= FlowState.HandshakeDead;
                return DetectorVerdict.Continue;
            }

            dir.Flags |= client ? DirectionFlags.ClientRole : DirectionFlags.ServerRole;
            dir.SessionId = reset.SessionId;
            dir.ReplayId = (ushort)reset.ReplayPacketId;
            dir.NetTimeLow = (ushort)reset.NetTime;
            dir.ControlCount = 1;
            s.Flags |= FlowState.AnyProgress;
            if (reset.HasAckArray && reset.AckCount > 0 && (other.Flags & DirectionFlags.ClientRole) != 0)
            {
                if (reset.RemoteSessionId != other.SessionId)
                {
                    s.Flags |= FlowState.HandshakeDead;
                    return DetectorVerdict.Continue;
                }

                s.Flags |= FlowState.Echo;
            }
        }
        else
        {
            if ((dir.Flags & (DirectionFlags.ClientRole | DirectionFlags.ServerRole)) == 0 || OpenVpnOpcodes.KeyId(pdu[0]) != 0)
            {
                return DetectorVerdict.Continue;
            }

            var layout = new OpenVpnLayout(s.Wrapping, s.HmacSize);
            if (!OpenVpnControlPacket.TryParse(pdu, length, layout, out OpenVpnControlPacket p)
                || p.SessionId != dir.SessionId
                || (p.HasReplay && (ushort)p.NetTime != dir.NetTimeLow)
                || !IsPlausibleReplay(in p, timestampMicros, reset: false))
            {
                s.Flags |= FlowState.HandshakeDead;
                return DetectorVerdict.Continue;
            }

            if (p.HasAckArray && p.AckCount > 0 && (other.Flags & (DirectionFlags.ClientRole | DirectionFlags.ServerRole)) != 0)
            {
                if (p.RemoteSessionId != other.SessionId)
                {
                    s.Flags |= FlowState.HandshakeDead;
                    return DetectorVerdict.Continue;
                }

                if ((dir.Flags & DirectionFlags.ServerRole) != 0)
                {
                    s.Flags |= FlowState.Echo;
                }
            }

            if (p.HasReplay)
            {
                // The replay packet-id increases per packet sent (packet_id.c); a retransmission gets a new one.
                int step = (ushort)((ushort)p.ReplayPacketId - dir.ReplayId);
                if (step is 0 or > 256)
                {
                    return DetectorVerdict.Continue;
                }

                dir.ReplayId = (ushort)p.ReplayPacketId;
            }

            if (dir.ControlCount < byte.MaxValue)
            {
                dir.ControlCount++;
            }
        }

        return DecideHandshake(ref s, ref dir, ref other, ref match);
    }

    private static DetectorVerdict DecideHandshake(ref State s, ref DirectionState dir, ref DirectionState other, ref DetectionMatch match)
    {
        const DirectionFlags roles = DirectionFlags.ClientRole | DirectionFlags.ServerRole;
        bool bothResets = (dir.Flags & roles) != 0 && (other.Flags & roles) != 0;
        int kind = 0;
        float confidence = 0;
        if (bothResets && (s.Flags & FlowState.Echo) != 0)
        {
            kind = EvidenceSessionEcho;
            confidence = 0.98f;
        }
        else if (bothResets && dir.ControlCount >= BothWaysPackets && other.ControlCount >= BothWaysPackets)
        {
            kind = EvidenceBothResets;
            confidence = 0.9f;
        }
        else if ((other.Flags & DirectionFlags.Started) == 0 && dir.ControlCount >= OneWayPackets)
        {
            kind = EvidenceOneWay;
            confidence = 0.7f;
        }

        if (kind == 0)
        {
            return DetectorVerdict.Continue;
        }

        ref DirectionState client = ref (dir.Flags & DirectionFlags.ClientRole) != 0 ? ref dir : ref other;
        ref DirectionState server = ref (dir.Flags & DirectionFlags.ClientRole) != 0 ? ref other : ref dir;
        match.Method = DetectionMethod.Signature;
        match.Confidence = confidence;
        match.EvidenceCode = kind | ((int)s.Wrapping << 4) | (s.HmacSize << 8)
            | ((client.Flags & DirectionFlags.ClientRole) != 0 ? (client.FirstByte >> 3) << 16 : 0)
            | ((server.Flags & DirectionFlags.ServerRole) != 0 ? (server.FirstByte >> 3) << 20 : 0);
        return DetectorVerdict.Match;
    }

    private static bool IsPlausibleReplay(in OpenVpnControlPacket p, long timestampMicros, bool reset)
    {
        if (!p.HasReplay)
        {
            return true;
        }

        if ((reset ? !OpenVpnLayout.IsResetReplayId(p.ReplayPacketId) : p.ReplayPacketId == 0) || !OpenVpnLayout.IsPlausibleNetTime(p.NetTime))
        {
            return false;
        }

        long now = timestampMicros / 1_000_000;
        return now < OpenVpnLayout.MinNetTime || Math.Abs(now - p.NetTime) <= MaxClockSkewSeconds;
    }

    private static DetectorVerdict OnDataPacket(ref State s, ref DirectionState dir, ref DirectionState other, ReadOnlySpan<byte> pdu, int length, ref DetectionMatch match)
    {
        if (!OpenVpnDataPacket.TryParse(pdu, length, out OpenVpnDataPacket p))
        {
            return DetectorVerdict.Continue;
        }

        if (p.Opcode == OpenVpnOpcode.DataV2 && p.PeerId > 0xFFFF && p.PeerId != OpenVpnDataPacket.UndefinedPeerId)
        {
            s.Flags |= FlowState.DataDead;
            return DetectorVerdict.Continue;
        }

        uint step = p.PacketId - dir.DataPacketId;
        if (dir.DataCount > 0 && p.Header == dir.DataHeader && step is >= 1 and <= MaxDataPacketIdStep)
        {
            if (dir.DataCount < byte.MaxValue)
            {
                dir.DataCount++;
            }
        }
        else if (dir.DataCount > 0 && p.Header == dir.DataHeader && step == 0)
        {
            return DetectorVerdict.Continue;
        }
        else
        {
            if (dir.DataCount > 0)
            {
                s.DataRestarts++;
                if (s.DataRestarts > 4)
                {
                    s.Flags |= FlowState.DataDead;
                    return DetectorVerdict.Continue;
                }
            }

            dir.DataHeader = p.Header;
            dir.DataCount = 1;
        }

        dir.DataPacketId = p.PacketId;
        bool enough = (dir.DataCount >= DataPacketsBothWays && other.DataCount >= DataPacketsOtherWay)
            || (dir.DataCount >= DataPacketsOtherWay && other.DataCount >= DataPacketsBothWays)
            || (dir.DataCount >= DataPacketsOneWay && (other.Flags & DirectionFlags.Started) == 0);
        if (!enough)
        {
            return DetectorVerdict.Continue;
        }

        match.Method = DetectionMethod.Heuristic;
        match.Confidence = (other.Flags & DirectionFlags.Started) == 0 ? 0.5f : 0.6f;
        match.EvidenceCode = EvidenceDataChannel;
        return DetectorVerdict.Match;
    }

    // Xue et al. 2022, Algorithm 1, made exact: the client's and the server's first bytes must be a
    // client and a server reset under one XOR key k (obfuscation patches XOR the opcode byte with a
    // fixed key byte), and every later first byte must decode under k to a non-reset opcode with key_id 0.
    private static DetectorVerdict OnOpcodeSequence(ref State s, int d, byte first, bool firstOfDirection, int index, ref DetectionMatch match)
    {
        const DirectionFlags started = DirectionFlags.Started;
        if ((s.Flags & FlowState.XorKeyKnown) == 0)
        {
            if ((s.Client.Flags & started) == 0 || (s.Server.Flags & started) == 0)
            {
                if (!firstOfDirection)
                {
                    // Only resets may come twice before the other side answers (retransmissions).
                    if (first != Dir(ref s, d).FirstByte)
                    {
                        s.Flags |= FlowState.XorDead;
                    }
                }

                return DetectorVerdict.Continue;
            }

            if (!TryXorKey(s.Client.FirstByte, s.Server.FirstByte, out byte key))
            {
                s.Flags |= FlowState.XorDead;
                return DetectorVerdict.Continue;
            }

            s.XorKey = key;
            s.Flags |= FlowState.XorKeyKnown;
            return DetectorVerdict.Continue;
        }

        byte decoded = (byte)(first ^ s.XorKey);
        OpenVpnOpcode op = OpenVpnOpcodes.Of(decoded);
        if (OpenVpnOpcodes.KeyId(decoded) != 0 || op == OpenVpnOpcode.Invalid)
        {
            s.Flags |= FlowState.XorDead;
            return DetectorVerdict.Continue;
        }

        if (OpenVpnOpcodes.IsReset(op))
        {
            // A retransmitted reset, only before anything else and only from its own side.
            if (s.XorOpcodeMask != 0 || first != Dir(ref s, d).FirstByte)
            {
                s.Flags |= FlowState.XorDead;
            }

            return DetectorVerdict.Continue;
        }

        s.XorOpcodeMask |= (ushort)(1 << (int)op);
        const ushort controlAndAck = (1 << (int)OpenVpnOpcode.ControlV1) | (1 << (int)OpenVpnOpcode.AckV1);
        if (index + 1 < OpcodeSequencePackets || (s.XorOpcodeMask & controlAndAck) != controlAndAck)
        {
            return DetectorVerdict.Continue;
        }

        match.Method = DetectionMethod.Heuristic;
        match.Confidence = 0.7f;
        match.EvidenceCode = EvidenceOpcodeSequence;
        return DetectorVerdict.Match;
    }

    /// <summary>The XOR key under which <paramref name="client"/> is a client reset and <paramref name="server"/> a server reset (key_id 0).</summary>
    internal static bool TryXorKey(byte client, byte server, out byte key)
    {
        ReadOnlySpan<byte> clientResets = [0x38, 0x50, 0x08];
        foreach (byte c in clientResets)
        {
            byte k = (byte)(client ^ c);
            OpenVpnOpcode op = OpenVpnOpcodes.Of((byte)(server ^ k));
            if (OpenVpnOpcodes.IsServerReset(op) && OpenVpnOpcodes.KeyId((byte)(server ^ k)) == 0)
            {
                key = k;
                return true;
            }
        }

        key = 0;
        return false;
    }

    private static ref DirectionState Dir(ref State s, int d) => ref d == 0 ? ref s.Client : ref s.Server;

    [Flags]
    internal enum FlowState : byte
    {
        None = 0,
        HandshakeDead = 0x01,
        DataDead = 0x02,
        XorDead = 0x04,
        XorKeyKnown = 0x08,
        Echo = 0x10,
        Tcp = 0x20,

        /// <summary>A reset was parsed: framing errors no longer end the flow early.</summary>
        AnyProgress = 0x40,
    }

    [Flags]
    internal enum DirectionFlags : byte
    {
        None = 0,
        Started = 0x01,
        ClientRole = 0x02,
        ServerRole = 0x04,
        SeqKnown = 0x08,
        Synced = 0x10,
        PartialLength = 0x20,
        HeaderPending = 0x40,

        /// <summary>The first PDU was an unreadable prefix: the next one may still be the reset.</summary>
        ResetPending = 0x80,
    }

    /// <summary>Per-direction state (index 0 = from the flow's client).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    internal struct DirectionState
    {
        public ulong SessionId;
        public uint DataHeader;
        public uint DataPacketId;
        public uint TcpNextSeq;
        public ushort TcpRemaining;
        public ushort ReplayId;
        public ushort NetTimeLow;
        public DirectionFlags Flags;
        public byte PartialLength;
        public byte FirstByte;
        public byte ControlCount;
        public byte DataCount;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    internal struct State
    {
        public const int Size = 70;

        public DirectionState Client;
        public DirectionState Server;
        public ushort XorOpcodeMask;
        public OpenVpnWrapping Wrapping;
        public byte HmacSize;
        public FlowState Flags;
        public byte XorKey;
        public byte FramingErrors;
        public byte DataRestarts;

    }
}
