using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// The 5-byte TLS record header (RFC 5246 §6.2.1, RFC 8446 §5.1): content type, legacy record
/// version, length of the fragment that follows.
/// </summary>
public readonly struct TlsRecordHeader
{
    public const int Size = 5;

    /// <summary>
    /// The largest fragment any version allows: 2^14 plaintext + 2048 (TLS 1.2 ciphertext, RFC 5246
    /// §6.2.3); TLS 1.3 allows 2^14 + 256 (RFC 8446 §5.2).
    /// </summary>
    public const int MaxFragmentLength = 16384 + 2048;

    public readonly TlsContentType ContentType;
    public readonly ushort Version;
    public readonly ushort Length;

    public TlsRecordHeader(TlsContentType contentType, ushort version, ushort length)
    {
        ContentType = contentType;
        Version = version;
        Length = length;
    }

    /// <summary>
    /// Reads a record header. Invalid unless the type is 20–24, the version's major byte is 3 with a
    /// minor of 0–4, and the length is at most <see cref="MaxFragmentLength"/>; an empty fragment is
    /// valid only for application data (RFC 5246 §6.2.1 permits zero-length application records).
    /// Incomplete when fewer than 5 bytes are given and those present are plausible.
    /// </summary>
    public static TlsParseStatus TryParse(ReadOnlySpan<byte> data, out TlsRecordHeader header)
    {
        header = default;
        if (data.Length >= 1 && !IsValidContentType(data[0]))
        {
            return TlsParseStatus.Invalid;
        }

        if (data.Length >= 2 && data[1] != 3)
        {
            return TlsParseStatus.Invalid;
        }

        if (data.Length >= 3 && data[2] > 4)
        {
            return TlsParseStatus.Invalid;
        }

        if (data.Length >= 4 && data[3] > (MaxFragmentLength >> 8))
        {
            return TlsParseStatus.Invalid;
        }

        if (data.Length < Size)
        {
            return TlsParseStatus.Incomplete;
        }

        ushort length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(3));
        var type = (TlsContentType)data[0];
        if (length > MaxFragmentLength || (length == 0 && type != TlsContentType.ApplicationData))
        {
            return TlsParseStatus.Invalid;
        }

        header = new TlsRecordHeader(type, BinaryPrimitives.ReadUInt16BigEndian(data.Slice(1)), length);
        return TlsParseStatus.Ok;
    }

    private static bool IsValidContentType(byte type) => type is >= 20 and <= 24;
}

/// <summary>The 4-byte handshake message header (RFC 8446 §4, RFC 5246 §7.4): type and a 24-bit length.</summary>
public readonly struct TlsHandshakeHeader
{
    public const int Size = 4;

    public readonly TlsHandshakeType Type;
    public readonly int Length;

    public TlsHandshakeHeader(TlsHandshakeType type, int length)
    {
        Type = type;
        Length = length;
    }

    /// <summary>Reads the header; Incomplete when fewer than 4 bytes are given.</summary>
    public static TlsParseStatus TryParse(ReadOnlySpan<byte> data, out TlsHandshakeHeader header)
    {
        header = default;
        if (data.Length < Size)
        {
            return TlsParseStatus.Incomplete;
        }

        header = new TlsHandshakeHeader((TlsHandshakeType)data[0], (data[1] << 16) | (data[2] << 8) | data[3]);
        return TlsParseStatus.Ok;
    }

    /// <summary>
    /// Splits one whole handshake message (header and body) off the front of <paramref name="data"/>:
    /// Incomplete when the body runs past the end.
    /// </summary>
    public static TlsParseStatus TryReadMessage(ReadOnlySpan<byte> data, out TlsHandshakeHeader header, out ReadOnlySpan<byte> body)
    {
        body = default;
        TlsParseStatus status = TryParse(data, out header);
        if (status != TlsParseStatus.Ok)
        {
            return status;
        }

        if (header.Length > data.Length - Size)
        {
            header = default;
            return TlsParseStatus.Incomplete;
        }

        body = data.Slice(Size, header.Length);
        return TlsParseStatus.Ok;
    }
}
