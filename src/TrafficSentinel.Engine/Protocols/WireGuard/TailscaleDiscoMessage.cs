using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.WireGuard;

/// <summary>
/// A Tailscale "disco" (path discovery) message, which Tailscale sends on the same UDP socket as its
/// WireGuard packets (tailscale <c>disco/disco.go</c>): magic <c>"TS" F0 9F 92 AC</c> (6 bytes, "TS💬"),
/// sender's disco public key (32), nonce (24), then a NaCl box: 16-byte tag over at least the
/// message type and version bytes.
/// </summary>
public readonly struct TailscaleDiscoMessage
{
    public const int MagicLength = 6;

    /// <summary>magic(6) + key(32) + nonce(24) + tag(16) + type(1) + version(1).</summary>
    public const int MinSize = MagicLength + 32 + 24 + 16 + 2;

    public TailscaleDiscoMessage(uint senderKeyPrefix, int length)
    {
        SenderKeyPrefix = senderKeyPrefix;
        Length = length;
    }

    /// <summary>The first 4 bytes of the sender's disco key (big-endian), to tell the two peers apart in evidence.</summary>
    public uint SenderKeyPrefix { get; }

    public int Length { get; }

    public static ReadOnlySpan<byte> Magic => [0x54, 0x53, 0xf0, 0x9f, 0x92, 0xac];

    public static bool TryParse(ReadOnlySpan<byte> data, out TailscaleDiscoMessage message)
    {
        message = default;
        if (data.Length < MinSize || !data.StartsWith(Magic))
        {
            return false;
        }

        message = new TailscaleDiscoMessage(BinaryPrimitives.ReadUInt32BigEndian(data.Slice(MagicLength, 4)), data.Length);
        return true;
    }
}
