using System.Globalization;

namespace TrafficSentinel.Alerts;

/// <summary>Text forms of the microsecond timestamps carried by alerts.</summary>
public static class AlertTime
{
    /// <summary>
    /// Suricata EVE form: <c>2024-10-21T10:00:01.123456+0000</c> (always UTC, six fraction digits).
    /// </summary>
    public static string ToEve(long unixMicros) => Format(unixMicros) + "+0000";

    /// <summary>ISO 8601 / RFC 3339 form: <c>2024-10-21T10:00:01.123456Z</c>.</summary>
    public static string ToIsoZ(long unixMicros) => Format(unixMicros) + "Z";

    /// <summary>Microseconds since the Unix epoch of <paramref name="time"/>.</summary>
    public static long FromDateTimeOffset(DateTimeOffset time) => (time.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    private static string Format(long unixMicros)
    {
        DateTime utc = ToDateTime(unixMicros);
        return utc.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff", CultureInfo.InvariantCulture);
    }

    private static DateTime ToDateTime(long unixMicros)
    {
        const long MinMicros = -62135596800L * 1_000_000L; // 0001-01-01
        const long MaxMicros = 253402300799L * 1_000_000L + 999_999L; // 9999-12-31T23:59:59.999999
        long clamped = Math.Clamp(unixMicros, MinMicros, MaxMicros);
        return new DateTime(DateTime.UnixEpoch.Ticks + (clamped * 10), DateTimeKind.Utc);
    }
}
