using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.OpenVpn;

/// <summary>How the control channel is wrapped (OpenVPN <c>--tls-auth</c>, <c>--tls-crypt</c>, <c>--tls-crypt-v2</c>).</summary>
public enum OpenVpnWrapping : byte
{
    Unknown = 0,

    /// <summary>No control-channel authentication: session id then the ack array.</summary>
    None = 1,

    /// <summary>tls-auth: session id, HMAC (any size), replay packet-id, net_time, then the ack array in clear.</summary>
    TlsAuth = 2,

    /// <summary>tls-crypt / tls-crypt-v2: session id, packet-id, net_time, 32-byte tag, the rest encrypted.</summary>
    TlsCrypt = 3,
}

/// <summary>
/// The control-channel layout of one OpenVPN session: the wrapping and, for tls-auth, the HMAC size.
/// Inferred from a hard-reset packet by <see cref="TryInferFromReset(ReadOnlySpan{byte}, out OpenVpnLayout)"/>.
/// </summary>
public readonly record struct OpenVpnLayout(OpenVpnWrapping Wrapping, byte HmacSize)
{
    /// <summary>Offset of the session id (after the opcode byte).</summary>
    public const int SessionIdOffset = 1;

    /// <summary>Session id length (ssl_pkt.h: SID_SIZE 8).</summary>
    public const int SessionIdSize = 8;

    /// <summary>Replay packet-id and net_time, 4 bytes each (packet_id.h long form, used by tls-auth and tls-crypt).</summary>
    public const int ReplaySize = 8;

    /// <summary>tls-crypt authentication tag (tls_crypt.h: TLS_CRYPT_TAG_SIZE, HMAC-SHA256 = 32).</summary>
    public const int TlsCryptTagSize = 32;

    /// <summary>Most acks one packet carries (reliable.h: RELIABLE_ACK_SIZE 8).</summary>
    public const int MaxAcks = 8;

    /// <summary>Smallest and largest HMAC size tried (MD5 16 … SHA-512 / Whirlpool 64; digests are multiples of 4 bytes).</summary>
    public const int MinHmacSize = 16;
    public const int MaxHmacSize = 64;

    /// <summary>net_time accepted as a real clock: 2005-01-01 … 2100-01-01 (Unix seconds).</summary>
    public const uint MinNetTime = 1104537600;
    public const uint MaxNetTime = 4102444800;

    /// <summary>First replay packet-ids accepted in a reset (starts at 1; a few retransmissions allowed).</summary>
    public const uint MaxResetReplayId = 16;

    public static OpenVpnLayout None => new(OpenVpnWrapping.None, 0);

    public static OpenVpnLayout TlsCrypt => new(OpenVpnWrapping.TlsCrypt, 0);

    public static OpenVpnLayout TlsAuth(int hmacSize) => new(OpenVpnWrapping.TlsAuth, (byte)hmacSize);

    /// <summary>Offset of the ack-array length byte (None, TlsAuth), or of the encrypted part (TlsCrypt).</summary>
    public int AckArrayOffset => Wrapping switch
    {
        OpenVpnWrapping.TlsAuth => SessionIdOffset + SessionIdSize + HmacSize + ReplaySize,
        OpenVpnWrapping.TlsCrypt => SessionIdOffset + SessionIdSize + ReplaySize + TlsCryptTagSize,
        _ => SessionIdOffset + SessionIdSize,
    };

    /// <summary>Offset of the replay packet-id (TlsAuth, TlsCrypt) or -1.</summary>
    public int ReplayOffset => Wrapping switch
    {
        OpenVpnWrapping.TlsAuth => SessionIdOffset + SessionIdSize + HmacSize,
        OpenVpnWrapping.TlsCrypt => SessionIdOffset + SessionIdSize,
        _ => -1,
    };

    /// <summary>True for a net_time that can be a real clock (the detector also compares it with the packet time).</summary>
    public static bool IsPlausibleNetTime(uint netTime) => netTime is >= MinNetTime and < MaxNetTime;

    /// <summary>Infers the layout from a whole hard-reset packet (client or server).</summary>
    public static bool TryInferFromReset(ReadOnlySpan<byte> data, out OpenVpnLayout layout) =>
        TryInferFromReset(data, data.Length, out layout);

    /// <summary>
    /// Infers the layout from a hard-reset packet of which <paramref name="data"/> holds the first bytes
    /// and <paramref name="declaredLength"/> is the packet's length (TCP: the 2-byte length prefix).
    /// Tried in order: tls-crypt (packet-id 1…16 and a plausible net_time right after the session id;
    /// P_CONTROL_HARD_RESET_CLIENT_V3 always), tls-auth with HMAC sizes 16…64 (packet-id, net_time, an
    /// empty or short ack array and message packet-id 0 after the HMAC), then no wrapping (ack array and
    /// message packet-id 0 right after the session id). A reset is the first reliable message of its
    /// session, so its message packet-id is 0 (reliable.c) and its replay packet-id starts at 1 (packet_id.c).
    /// </summary>
    public static bool TryInferFromReset(ReadOnlySpan<byte> data, int declaredLength, out OpenVpnLayout layout)
    {
        layout = default;
        if (data.Length < 1 || declaredLength < data.Length)
        {
            return false;
        }

        OpenVpnOpcode op = OpenVpnOpcodes.Of(data[0]);
        if (!OpenVpnOpcodes.IsReset(op))
        {
            return false;
        }

        bool client = OpenVpnOpcodes.IsClientReset(op);
        if (IsReplayPair(data, SessionIdOffset + SessionIdSize) && declaredLength >= TlsCrypt.AckArrayOffset + 5)
        {
            if (op != OpenVpnOpcode.HardResetClientV3 || OpenVpnControlPacket.HasWrappedClientKey(data, declaredLength))
            {
                layout = TlsCrypt;
                return true;
            }
        }

        if (op == OpenVpnOpcode.HardResetClientV3)
        {
            return false;
        }

        for (int h = MinHmacSize; h <= MaxHmacSize; h += 4)
        {
            int replay = SessionIdOffset + SessionIdSize + h;
            if (IsReplayPair(data, replay) && IsResetAckAndMessageId(data, declaredLength, replay + ReplaySize, client))
            {
                layout = TlsAuth(h);
                return true;
            }
        }

        if (IsResetAckAndMessageId(data, declaredLength, SessionIdOffset + SessionIdSize, client))
        {
            layout = None;
            return true;
        }

        return false;
    }

    private static bool IsReplayPair(ReadOnlySpan<byte> data, int offset)
    {
        if (data.Length < offset + ReplaySize)
        {
            return false;
        }

        uint id = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(offset, 4));
        uint time = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(offset + 4, 4));
        return IsResetReplayId(id) && IsPlausibleNetTime(time);
    }

    /// <summary>
    /// A reset's replay packet-id: 1…16 in the low 24 bits, the high byte 0 or 0x0f (OpenVPN 2.6
    /// clients mark their reset with EARLY_NEG_START 0x0f000000 in ssl_pkt.h to offer early negotiation).
    /// </summary>
    public static bool IsResetReplayId(uint id) =>
        (id & 0xFFFFFF) is >= 1 and <= MaxResetReplayId && (id >> 24) is 0 or EarlyNegotiationMarker;

    /// <summary>High byte of a 2.6 client's replay packet-ids (EARLY_NEG_START &gt;&gt; 24).</summary>
    public const uint EarlyNegotiationMarker = 0x0f;

    // Reset layout after the wrapping: ack count (client 0; server 0…8), acks, remote session id when
    // acks are present, message packet-id 0; anything after is the 2.6 early-negotiation TLV payload.
    private static bool IsResetAckAndMessageId(ReadOnlySpan<byte> data, int declaredLength, int offset, bool client)
    {
        if (data.Length <= offset)
        {
            return false;
        }

        int acks = data[offset];
        if (acks > (client ? 0 : MaxAcks))
        {
            return false;
        }

        int messageId = offset + 1 + (acks * 4) + (acks > 0 ? SessionIdSize : 0);
        if (data.Length < messageId + 4 || declaredLength > messageId + 4 + MaxResetPayload)
        {
            return false;
        }

        return BinaryPrimitives.ReadUInt32BigEndian(data.Slice(messageId, 4)) == 0;
    }

    /// <summary>Largest payload accepted after a reset's message packet-id (early-negotiation TLVs are a few bytes).</summary>
    private const int MaxResetPayload = 64;
}
