namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// The little of DER (ITU-T X.690) that certificate fields need: one tag-length-value at a time,
/// single-byte tags only (X.690 §8.1.2.4 high tag numbers are rejected), definite lengths only
/// (§8.1.3; DER forbids the indefinite form, §10.1), long-form lengths of at most 3 bytes and
/// minimal (§10.1). Never reads past the span; never allocates.
/// </summary>
public static class DerReader
{
    public const byte Integer = 0x02;
    public const byte ObjectIdentifier = 0x06;
    public const byte Utf8String = 0x0C;
    public const byte PrintableString = 0x13;
    public const byte UtcTime = 0x17;
    public const byte GeneralizedTime = 0x18;
    public const byte Sequence = 0x30;
    public const byte Set = 0x31;

    /// <summary>Context-specific constructed [0], the explicit version tag of a TBSCertificate.</summary>
    public const byte ContextConstructed0 = 0xA0;

    /// <summary>
    /// Reads the TLV at the start of <paramref name="data"/>: its tag, its contents and the bytes it
    /// takes. Incomplete when the span ends inside it, Invalid when the encoding is not DER.
    /// </summary>
    public static TlsParseStatus TryReadTlv(ReadOnlySpan<byte> data, out byte tag, out ReadOnlySpan<byte> contents, out int consumed)
    {
        tag = 0;
        contents = default;
        consumed = 0;
        if (data.Length < 2)
        {
            return data.Length == 1 && (data[0] & 0x1F) == 0x1F ? TlsParseStatus.Invalid : TlsParseStatus.Incomplete;
        }

        byte t = data[0];
        if ((t & 0x1F) == 0x1F)
        {
            return TlsParseStatus.Invalid;
        }

        int length = data[1];
        int header = 2;
        if (length >= 0x80)
        {
            int count = length & 0x7F;
            if (count == 0 || count > 3)
            {
                return TlsParseStatus.Invalid;
            }

            if (data.Length < 2 + count)
            {
                return TlsParseStatus.Incomplete;
            }

            length = 0;
            for (int i = 0; i < count; i++)
            {
                length = (length << 8) | data[2 + i];
            }

            // X.690 §10.1: the fewest length octets; the long form only for lengths of 128 and over.
            if (length < 0x80 || (count > 1 && data[2] == 0))
            {
                return TlsParseStatus.Invalid;
            }

            header = 2 + count;
        }

        if (length > data.Length - header)
        {
            return TlsParseStatus.Incomplete;
        }

        tag = t;
        contents = data.Slice(header, length);
        consumed = header + length;
        return TlsParseStatus.Ok;
    }

    /// <summary>Reads a TLV of the expected tag at <paramref name="offset"/> and advances past it.</summary>
    public static bool TryReadExpected(ReadOnlySpan<byte> data, scoped ref int offset, byte expectedTag, out ReadOnlySpan<byte> contents)
    {
        contents = default;
        if ((uint)offset > (uint)data.Length
            || TryReadTlv(data.Slice(offset), out byte tag, out ReadOnlySpan<byte> c, out int consumed) != TlsParseStatus.Ok
            || tag != expectedTag)
        {
            return false;
        }

        contents = c;
        offset += consumed;
        return true;
    }

    /// <summary>
    /// Parses a UTCTime (X.690 §11.8, YYMMDDHHMMSSZ, years 50–99 are 19xx per RFC 5280 §4.1.2.5.1)
    /// or GeneralizedTime (YYYYMMDDHHMMSSZ) into seconds since the Unix epoch.
    /// </summary>
    public static bool TryParseTime(byte tag, ReadOnlySpan<byte> contents, out long unixSeconds)
    {
        unixSeconds = 0;
        int year;
        int p;
        if (tag == UtcTime && contents.Length == 13)
        {
            if (!TryDigits(contents, 0, 2, out year))
            {
                return false;
            }

            year += year >= 50 ? 1900 : 2000;
            p = 2;
        }
        else if (tag == GeneralizedTime && contents.Length == 15)
        {
            if (!TryDigits(contents, 0, 4, out year))
            {
                return false;
            }

            p = 4;
        }
        else
        {
            return false;
        }

        if (contents[^1] != (byte)'Z'
            || !TryDigits(contents, p, 2, out int month) || !TryDigits(contents, p + 2, 2, out int day)
            || !TryDigits(contents, p + 4, 2, out int hour) || !TryDigits(contents, p + 6, 2, out int minute)
            || !TryDigits(contents, p + 8, 2, out int second)
            || month is < 1 or > 12 || day is < 1 or > 31 || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        unixSeconds = (DaysFromCivil(year, month, day) * 86400L) + (hour * 3600L) + (minute * 60L) + second;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            int d = s[i] - '0';
            if ((uint)d > 9)
            {
                value = 0;
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (the usual era-based civil-date algorithm).</summary>
    private static long DaysFromCivil(int year, int month, int day)
    {
        int y = month <= 2 ? year - 1 : year;
        int era = (y >= 0 ? y : y - 399) / 400;
        int yoe = y - (era * 400);
        int doy = ((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5 + day - 1;
        int doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097L) + doe - 719468;
    }
}
