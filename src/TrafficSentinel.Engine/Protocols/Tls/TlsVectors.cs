using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// Variable-length vectors of the TLS presentation language (RFC 8446 §3.4): a 1-, 2- or 3-byte
/// big-endian length followed by that many bytes. Each reader advances <c>offset</c> past the
/// vector, or returns false (and an empty span) when it runs past the end.
/// </summary>
internal static class TlsVectors
{
    public static bool TryRead8(ReadOnlySpan<byte> data, scoped ref int offset, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if ((uint)offset >= (uint)data.Length)
        {
            return false;
        }

        int length = data[offset];
        return TryTake(data, ref offset, 1, length, out vector);
    }

    public static bool TryRead16(ReadOnlySpan<byte> data, scoped ref int offset, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (offset < 0 || offset > data.Length - 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset));
        return TryTake(data, ref offset, 2, length, out vector);
    }

    public static bool TryRead24(ReadOnlySpan<byte> data, scoped ref int offset, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (offset < 0 || offset > data.Length - 3)
        {
            return false;
        }

        int length = (data[offset] << 16) | (data[offset + 1] << 8) | data[offset + 2];
        return TryTake(data, ref offset, 3, length, out vector);
    }

    public static bool TryReadUInt16(ReadOnlySpan<byte> data, scoped ref int offset, out ushort value)
    {
        value = 0;
        if (offset < 0 || offset > data.Length - 2)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset));
        offset += 2;
        return true;
    }

    private static bool TryTake(ReadOnlySpan<byte> data, scoped ref int offset, int prefix, int length, out ReadOnlySpan<byte> vector)
    {
        int start = offset + prefix;
        if (length > data.Length - start)
        {
            vector = default;
            return false;
        }

        vector = data.Slice(start, length);
        offset = start + length;
        return true;
    }
}

/// <summary>
/// Walks an extensions block (RFC 8446 §4.2: <c>Extension extensions&lt;0..2^16-1&gt;</c>, each a
/// 2-byte type and a 2-byte-length body) with no allocation.
/// </summary>
public ref struct TlsExtensionReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    public TlsExtensionReader(ReadOnlySpan<byte> extensions)
    {
        _data = extensions;
        _offset = 0;
    }

    /// <summary>True at the end of a well-formed block.</summary>
    public readonly bool AtEnd => _offset == _data.Length;

    /// <summary>Reads the next extension; false at the end or when the block is malformed (check <see cref="AtEnd"/>).</summary>
    public bool TryReadNext(out ushort type, out ReadOnlySpan<byte> body)
    {
        body = default;
        int offset = _offset;
        if (!TlsVectors.TryReadUInt16(_data, ref offset, out type) || !TlsVectors.TryRead16(_data, ref offset, out body))
        {
            type = 0;
            return false;
        }

        _offset = offset;
        return true;
    }
}
