using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.WireGuard;

/// <summary>WireGuard message types (whitepaper §5.4; wireguard-go <c>device/noise-protocol.go</c>).</summary>
public enum WireGuardMessageType : byte
{
    None = 0,
    HandshakeInitiation = 1,
    HandshakeResponse = 2,
    CookieReply = 3,
    TransportData = 4,
}

/// <summary>Which wire dialect a message was written in.</summary>
public enum WireGuardVariant : byte
{
    /// <summary>The protocol as specified: type byte 1–4, bytes 1–3 zero, exact sizes.</summary>
    Standard = 0,

    /// <summary>TunnelBear's handshakes: 204-byte initiation, 100-byte response (nDPI PR #2485); transport is standard.</summary>
    TunnelBear = 1,

    /// <summary>
    /// Cloudflare WARP: type bytes 0xc1–0xc4, bytes 1–3 zero only in 0xc1 and otherwise a routing id
    /// echoed by both sides; handshakes carry extra bytes after the standard fields; transport is not padded.
    /// </summary>
    CloudflareWarp = 2,
}

/// <summary>
/// One WireGuard message's cleartext header fields. Integers are little-endian on the wire.
/// </summary>
public readonly struct WireGuardMessage
{
    /// <summary>Standard handshake initiation size (1 + 3 + 4 + 32 + 48 + 28 + 16 + 16).</summary>
    public const int InitiationSize = 148;

    /// <summary>Standard handshake response size (1 + 3 + 4 + 4 + 32 + 16 + 16 + 16).</summary>
    public const int ResponseSize = 92;

    /// <summary>Cookie reply size (1 + 3 + 4 + 24 + 32).</summary>
    public const int CookieReplySize = 64;

    /// <summary>Transport header (16) + Poly1305 tag (16): the size of a keepalive.</summary>
    public const int TransportMinSize = 32;

    /// <summary>TunnelBear's initiation size.</summary>
    public const int TunnelBearInitiationSize = 204;

    /// <summary>TunnelBear's response size.</summary>
    public const int TunnelBearResponseSize = 100;

    /// <summary>
    /// Largest WARP initiation accepted. The one capture we have is 194 bytes; a QUIC client Initial
    /// (first byte 0xc0–0xcf, bytes 1–3 zero for QUIC v1) is at least 1200 bytes (RFC 9000 §14.1),
    /// so the bound keeps QUIC Initials out.
    /// </summary>
    public const int WarpInitiationMaxSize = 1199;

    public WireGuardMessage(WireGuardMessageType type, WireGuardVariant variant, int length, uint senderIndex, uint receiverIndex, ulong counter, uint reserved, bool mac2Zero)
    {
        Type = type;
        Variant = variant;
        Length = length;
        SenderIndex = senderIndex;
        ReceiverIndex = receiverIndex;
        Counter = counter;
        Reserved = reserved;
        Mac2Zero = mac2Zero;
    }

    public WireGuardMessageType Type { get; }

    public WireGuardVariant Variant { get; }

    /// <summary>The whole message's length (the UDP payload).</summary>
    public int Length { get; }

    /// <summary>Initiation and response: the sender's index (offset 4).</summary>
    public uint SenderIndex { get; }

    /// <summary>Response (offset 8), cookie reply and transport (offset 4): the receiver's index.</summary>
    public uint ReceiverIndex { get; }

    /// <summary>Transport data: the 64-bit nonce counter (offset 8).</summary>
    public ulong Counter { get; }

    /// <summary>Bytes 1–3 as a little-endian 24-bit value: always 0 in the standard protocol; WARP's routing id.</summary>
    public uint Reserved { get; }

    /// <summary>
    /// Standard initiation / response: mac2 is all zero. mac2 is only filled in when the responder
    /// is under load and has sent a cookie (whitepaper §5.4.4), so zero is the normal case.
    /// </summary>
    public bool Mac2Zero { get; }

    /// <summary>Transport data: the encrypted part is the inner packet zero-padded to 16 bytes plus a 16-byte tag (whitepaper §5.4.6).</summary>
    public bool IsPadded => Type == WireGuardMessageType.TransportData && (Length & 15) == 0;

    /// <summary>Transport data with an empty inner packet: a keepalive (whitepaper §6.5).</summary>
    public bool IsKeepalive => Type == WireGuardMessageType.TransportData && Length == TransportMinSize;

    /// <summary>
    /// Parses one UDP payload as a WireGuard message, strictly: a known type byte, reserved bytes
    /// zero (except WARP's routing id), and exact sizes for the fixed-size messages (no trailing
    /// bytes). Returns false, with <paramref name="message"/> default, for anything else.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out WireGuardMessage message)
    {
        message = default;
        if (data.Length < TransportMinSize)
        {
            return false;
        }

        byte type = data[0];
        uint reserved = (uint)(data[1] | (data[2] << 8) | (data[3] << 16));
        if (type is >= 0xc1 and <= 0xc4)
        {
            return TryParseWarp(data, (WireGuardMessageType)(type - 0xc0), reserved, out message);
        }

        // Whitepaper §5.4: "type" is one byte followed by three zero bytes ("reserved").
        if (reserved != 0)
        {
            return false;
        }

        switch (type)
        {
            case (byte)WireGuardMessageType.HandshakeInitiation:
                {
                    // §5.4.2: type, reserved, sender(4) @4, ephemeral(32) @8, static(32+16) @40,
                    // timestamp(12+16) @88, mac1(16) @116, mac2(16) @132 = 148.
                    WireGuardVariant variant;
                    if (data.Length == InitiationSize)
                    {
                        variant = WireGuardVariant.Standard;
                    }
                    else if (data.Length == TunnelBearInitiationSize)
                    {
                        variant = WireGuardVariant.TunnelBear;
                    }
                    else
                    {
                        return false;
                    }

                    bool mac2Zero = variant == WireGuardVariant.Standard && IsZero(data.Slice(132, 16));
                    message = new WireGuardMessage(WireGuardMessageType.HandshakeInitiation, variant, data.Length, ReadIndex(data, 4), 0, 0, 0, mac2Zero);
                    return true;
                }

            case (byte)WireGuardMessageType.HandshakeResponse:
                {
                    // §5.4.3: type, reserved, sender(4) @4, receiver(4) @8, ephemeral(32) @12,
                    // empty(0+16) @44, mac1(16) @60, mac2(16) @76 = 92.
                    WireGuardVariant variant;
                    if (data.Length == ResponseSize)
                    {
                        variant = WireGuardVariant.Standard;
                    }
                    else if (data.Length == TunnelBearResponseSize)
                    {
                        variant = WireGuardVariant.TunnelBear;
                    }
                    else
                    {
                        return false;
                    }

                    bool mac2Zero = variant == WireGuardVariant.Standard && IsZero(data.Slice(76, 16));
                    message = new WireGuardMessage(WireGuardMessageType.HandshakeResponse, variant, data.Length, ReadIndex(data, 4), ReadIndex(data, 8), 0, 0, mac2Zero);
                    return true;
                }

            case (byte)WireGuardMessageType.CookieReply:
                // §5.4.7: type, reserved, receiver(4) @4, nonce(24) @8, encrypted cookie(16+16) @32 = 64.
                if (data.Length != CookieReplySize)
                {
                    return false;
                }

                message = new WireGuardMessage(WireGuardMessageType.CookieReply, WireGuardVariant.Standard, data.Length, 0, ReadIndex(data, 4), 0, 0, false);
                return true;

            case (byte)WireGuardMessageType.TransportData:
                // §5.4.6: type, reserved, receiver(4) @4, counter(8) @8, encrypted packet (padded) + tag(16) @16.
                message = new WireGuardMessage(WireGuardMessageType.TransportData, WireGuardVariant.Standard, data.Length, 0, ReadIndex(data, 4), ReadCounter(data), 0, false);
                return true;

            default:
                return false;
        }
    }

    /// <summary>
    /// Cloudflare WARP's dialect (nDPI <c>cloudflare_warp.c</c>; <c>cloudflare-warp.pcap</c>):
    /// 0xc1 initiation with bytes 1–3 zero and the standard fields first, then extra bytes;
    /// 0xc2 response at least as long as a standard one, sender index @4; 0xc3 cookie reply;
    /// 0xc4 transport with receiver index @4 and counter @8, no padding to 16.
    /// </summary>
    private static bool TryParseWarp(ReadOnlySpan<byte> data, WireGuardMessageType type, uint reserved, out WireGuardMessage message)
    {
        message = default;
        switch (type)
        {
            case WireGuardMessageType.HandshakeInitiation:
                if (reserved != 0 || data.Length < InitiationSize || data.Length > WarpInitiationMaxSize)
                {
                    return false;
                }

                message = new WireGuardMessage(type, WireGuardVariant.CloudflareWarp, data.Length, ReadIndex(data, 4), 0, 0, reserved, false);
                return true;

            case WireGuardMessageType.HandshakeResponse:
                if (data.Length < ResponseSize)
                {
                    return false;
                }

                message = new WireGuardMessage(type, WireGuardVariant.CloudflareWarp, data.Length, ReadIndex(data, 4), ReadIndex(data, 8), 0, reserved, IsZero(data.Slice(76, 16)));
                return true;

            case WireGuardMessageType.CookieReply:
                if (data.Length != CookieReplySize)
                {
                    return false;
                }

                message = new WireGuardMessage(type, WireGuardVariant.CloudflareWarp, data.Length, 0, ReadIndex(data, 4), 0, reserved, false);
                return true;

            default:
                message = new WireGuardMessage(type, WireGuardVariant.CloudflareWarp, data.Length, 0, ReadIndex(data, 4), ReadCounter(data), reserved, false);
                return true;
        }
    }

    // Indexes are opaque 32-bit values; read little-endian as wireguard-go does, so they print like its logs.
    private static uint ReadIndex(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(offset, 4));

    private static ulong ReadCounter(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(8, 8));

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
