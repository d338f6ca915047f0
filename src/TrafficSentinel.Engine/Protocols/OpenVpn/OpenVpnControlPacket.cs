using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.OpenVpn;

/// <summary>
/// The clear-text fields of one OpenVPN control-channel packet (every opcode but P_DATA_V1/V2), read
/// under a known <see cref="OpenVpnLayout"/>. Layout (OpenVPN <c>ssl_pkt.h</c>, <c>reliable.c</c>,
/// <c>tls_crypt.h</c>, <c>doc/tls-crypt-v2.txt</c>):
/// <code>
/// opcode|key_id (1) · session_id (8)
///   tls-auth:  · HMAC (N) · replay packet-id (4) · net_time (4)
///   tls-crypt: · replay packet-id (4) · net_time (4) · tag (32) · encrypted rest [· WKc for V3/WKC_V1]
/// · ack count (1) · acked packet-ids (4 each) · remote session_id (8, if ack count &gt; 0)
/// · message packet-id (4, all but P_ACK_V1) · payload (TLS records)
/// </code>
/// </summary>
public struct OpenVpnControlPacket
{
    public OpenVpnOpcode Opcode;
    public byte KeyId;
    public ulong SessionId;

    /// <summary>True under tls-auth and tls-crypt: <see cref="ReplayPacketId"/> and <see cref="NetTime"/> are set.</summary>
    public bool HasReplay;
    public uint ReplayPacketId;
    public uint NetTime;

    /// <summary>False under tls-crypt (the ack array is encrypted).</summary>
    public bool HasAckArray;
    public byte AckCount;

    /// <summary>The peer's session id, present when <see cref="AckCount"/> &gt; 0.</summary>
    public ulong RemoteSessionId;

    /// <summary>True when the reliable-layer message packet-id is visible (not P_ACK_V1, not tls-crypt).</summary>
    public bool HasMessageId;
    public uint MessageId;

    /// <summary>Offset of what follows the header (TLS payload), or of the encrypted part under tls-crypt.</summary>
    public int PayloadOffset;

    /// <summary>Smallest WKc: tag (32) + 2048-bit client key Kc (256) + length (2) (doc/tls-crypt-v2.txt).</summary>
    public const int MinWrappedClientKey = 32 + 256 + 2;

    /// <summary>Parses a whole packet (a UDP payload, or one TCP PDU without its length prefix).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, OpenVpnLayout layout, out OpenVpnControlPacket packet) =>
        TryParse(data, data.Length, layout, out packet);

    /// <summary>
    /// Parses the first <paramref name="data"/> bytes of a packet of <paramref name="declaredLength"/>
    /// bytes. Fails (every field default) when the opcode is not a control opcode, the needed bytes
    /// are missing, the ack array is longer than 8, a P_ACK_V1 has no ack or trailing bytes, or a
    /// tls-crypt-v2 packet lacks a well-formed WKc.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, int declaredLength, OpenVpnLayout layout, out OpenVpnControlPacket packet)
    {
        packet = default;
        if (data.Length < 1 + OpenVpnLayout.SessionIdSize || declaredLength < data.Length || layout.Wrapping == OpenVpnWrapping.Unknown)
        {
            return false;
        }

        OpenVpnOpcode op = OpenVpnOpcodes.Of(data[0]);
        if (!OpenVpnOpcodes.IsControlFamily(op))
        {
            return false;
        }

        var p = new OpenVpnControlPacket
        {
            Opcode = op,
            KeyId = (byte)OpenVpnOpcodes.KeyId(data[0]),
            SessionId = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(OpenVpnLayout.SessionIdOffset, OpenVpnLayout.SessionIdSize)),
        };

        int replay = layout.ReplayOffset;
        if (replay >= 0)
        {
            if (data.Length < replay + OpenVpnLayout.ReplaySize)
            {
                return false;
            }

            p.HasReplay = true;
            p.ReplayPacketId = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(replay, 4));
            p.NetTime = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(replay + 4, 4));
        }

        int offset = layout.AckArrayOffset;
        if (layout.Wrapping == OpenVpnWrapping.TlsCrypt)
        {
            // Encrypted part: at least the ack count and a message packet-id (5), or for P_ACK_V1 one ack
            // and the remote session id (13).
            int minimum = offset + (op == OpenVpnOpcode.AckV1 ? 1 + 4 + OpenVpnLayout.SessionIdSize : 1 + 4);
            if (declaredLength < minimum)
            {
                return false;
            }

            if ((op == OpenVpnOpcode.HardResetClientV3 || op == OpenVpnOpcode.ControlWkcV1) && !HasWrappedClientKey(data, declaredLength))
            {
                return false;
            }

            p.PayloadOffset = offset;
            packet = p;
            return true;
        }

        if (op is OpenVpnOpcode.HardResetClientV3 or OpenVpnOpcode.ControlWkcV1)
        {
            return false; // tls-crypt-v2 only
        }

        if (data.Length <= offset)
        {
            return false;
        }

        int acks = data[offset];
        if (acks > OpenVpnLayout.MaxAcks)
        {
            return false;
        }

        p.HasAckArray = true;
        p.AckCount = (byte)acks;
        offset += 1 + (acks * 4);
        if (acks > 0)
        {
            if (data.Length < offset + OpenVpnLayout.SessionIdSize)
            {
                return false;
            }

            p.RemoteSessionId = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(offset, OpenVpnLayout.SessionIdSize));
            offset += OpenVpnLayout.SessionIdSize;
        }

        if (op == OpenVpnOpcode.AckV1)
        {
            // An ACK carries acks and nothing else (ssl.c: write_control_auth with no buffer).
            if (acks == 0 || declaredLength != offset)
            {
                return false;
            }
        }
        else
        {
            if (data.Length < offset + 4)
            {
                return false;
            }

            p.HasMessageId = true;
            p.MessageId = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(offset, 4));
            offset += 4;
        }

        p.PayloadOffset = offset;
        packet = p;
        return true;
    }

    /// <summary>
    /// tls-crypt-v2: the packet ends with WKc (true without checking when only a prefix of the packet is given), whose last 2 bytes give WKc's whole length in network
    /// order (doc/tls-crypt-v2.txt: "WKc = T || AES-256-CTR(Ke, IV=T, Kc || metadata) || len").
    /// </summary>
    public static bool HasWrappedClientKey(ReadOnlySpan<byte> data, int declaredLength)
    {
        if (data.Length < declaredLength)
        {
            return true; // the end of the packet is in a later TCP segment: not checkable here
        }

        if (data.Length < 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data[^2..]);
        return length >= MinWrappedClientKey && length <= declaredLength - OpenVpnLayout.TlsCrypt.AckArrayOffset - 5;
    }
}
