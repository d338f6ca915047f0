using System.Buffers.Binary;
using System.Net;

namespace TrafficSentinel.Engine.Decoding;

/// <summary>
/// An IPv4 or IPv6 address held as two big-endian 64-bit halves, so that comparing the halves as
/// unsigned numbers orders addresses the way their bytes do. IPv4 is stored IPv4-mapped
/// (<c>::ffff:a.b.c.d</c>). Unmanaged and 16 bytes: it lives inside flow keys.
/// </summary>
public readonly struct IpAddr : IEquatable<IpAddr>, IComparable<IpAddr>
{
    private const ulong V4MappedLow = 0x0000_FFFF_0000_0000UL;

    public readonly ulong High;
    public readonly ulong Low;

    public IpAddr(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    public bool IsV4Mapped => High == 0 && (Low & 0xFFFF_FFFF_0000_0000UL) == V4MappedLow;

    /// <summary>Reads four bytes of an IPv4 address. The span must hold at least four bytes.</summary>
    public static IpAddr FromV4(ReadOnlySpan<byte> bytes) =>
        new(0, V4MappedLow | BinaryPrimitives.ReadUInt32BigEndian(bytes));

    /// <summary>Reads sixteen bytes of an IPv6 address. The span must hold at least sixteen bytes.</summary>
    public static IpAddr FromV6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8)));

    public static IpAddr FromIPAddress(IPAddress address)
    {
        Span<byte> buffer = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(buffer, out _);
            return FromV4(buffer);
        }

        address.TryWriteBytes(buffer, out _);
        return FromV6(buffer);
    }

    /// <summary>Cold path: the address as an <see cref="IPAddress"/>, IPv4 when <paramref name="ipVersion"/> is 4.</summary>
    public IPAddress ToIPAddress(int ipVersion)
    {
        if (ipVersion == 4)
        {
            return new IPAddress(BinaryPrimitives.ReverseEndianness((uint)Low));
        }

        Span<byte> buffer = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, High);
        BinaryPrimitives.WriteUInt64BigEndian(buffer.Slice(8), Low);
        return new IPAddress(buffer);
    }

    public bool Equals(IpAddr other) => High == other.High && Low == other.Low;

    public override bool Equals(object? obj) => obj is IpAddr other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(High, Low);

    public int CompareTo(IpAddr other) =>
        High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

    public override string ToString() => ToIPAddress(IsV4Mapped ? 4 : 6).ToString();

    public static bool operator ==(IpAddr left, IpAddr right) => left.Equals(right);

    public static bool operator !=(IpAddr left, IpAddr right) => !left.Equals(right);

    public static bool operator <(IpAddr left, IpAddr right) => left.CompareTo(right) < 0;

    public static bool operator >(IpAddr left, IpAddr right) => left.CompareTo(right) > 0;

    public static bool operator <=(IpAddr left, IpAddr right) => left.CompareTo(right) <= 0;

    public static bool operator >=(IpAddr left, IpAddr right) => left.CompareTo(right) >= 0;
}
