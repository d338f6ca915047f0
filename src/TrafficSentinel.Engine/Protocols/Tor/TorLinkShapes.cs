using TrafficSentinel.Engine.Protocols.Tls;

namespace TrafficSentinel.Engine.Protocols.Tor;

/// <summary>
/// The shapes Tor's link layer leaves in TLS. Tor (src/lib/tls/tortls*.c, x509*.c) makes every
/// name with <c>crypto_random_hostname(min, max, prefix, suffix)</c>: the prefix, min–max characters
/// of lowercase base32 (RFC 4648 alphabet a–z, 2–7) of random bytes, the suffix:
/// the client's SNI <c>www.</c>+4–25+<c>.com</c>; the relay's link certificate subject
/// <c>CN=www.</c>+8–20+<c>.net</c>, issued by its identity certificate <c>CN=www.</c>+8–20+<c>.com</c>,
/// both names CN-only. Link protocol ≥ 4 moves fixed 514-byte cells (tor-spec §3: CircID 4 +
/// command 1 + body 509; variable-length cells have a 2-byte length), so after the handshake
/// most TLS records carry a whole number of cells.
/// </summary>
public static class TorLinkShapes
{
    /// <summary>Fixed-length cell with link protocol 4 and later (tor-spec §3, CELL_MAX_NETWORK_SIZE).</summary>
    public const int CellSize = 514;

    /// <summary>Cells one record can hold: 2^14 / 514.</summary>
    public const int MaxCellsPerRecord = 31;

    public const int SniMinRandom = 4;
    public const int SniMaxRandom = 25;
    public const int CertMinRandom = 8;
    public const int CertMaxRandom = 20;

    private static ReadOnlySpan<byte> Www => "www."u8;

    public static ReadOnlySpan<byte> ComSuffix => ".com"u8;

    public static ReadOnlySpan<byte> NetSuffix => ".net"u8;

    /// <summary>True when <paramref name="name"/> is <c>www.</c> + min–max base32 characters + suffix.</summary>
    public static bool IsRandomHostname(ReadOnlySpan<byte> name, int min, int max, ReadOnlySpan<byte> suffix)
    {
        int random = name.Length - Www.Length - suffix.Length;
        if (random < min || random > max || !name.StartsWith(Www) || !name.EndsWith(suffix))
        {
            return false;
        }

        ReadOnlySpan<byte> label = name.Slice(Www.Length, random);
        for (int i = 0; i < label.Length; i++)
        {
            byte c = label[i];
            if (!((uint)(c - 'a') <= 'z' - 'a' || (uint)(c - '2') <= '7' - '2'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The client SNI shape: www.[a-z2-7]{4,25}.com.</summary>
    public static bool IsClientSni(ReadOnlySpan<byte> sni) => IsRandomHostname(sni, SniMinRandom, SniMaxRandom, ComSuffix);

    /// <summary>
    /// The relay's link certificate: subject CN-only www.[a-z2-7]{8,20}.net, issuer CN-only
    /// www.[a-z2-7]{8,20}.com, a validity that ends after it starts.
    /// </summary>
    public static bool IsLinkCertificate(in X509Summary certificate) =>
        certificate.SubjectIsCommonNameOnly && certificate.IssuerIsCommonNameOnly
        && IsRandomHostname(certificate.SubjectCommonName, CertMinRandom, CertMaxRandom, NetSuffix)
        && IsRandomHostname(certificate.IssuerCommonName, CertMinRandom, CertMaxRandom, ComSuffix)
        && certificate.NotAfter > certificate.NotBefore;

    /// <summary>
    /// True when an application-data record of <paramref name="recordLength"/> bytes is what 1–31
    /// whole cells become under <paramref name="protection"/>. CBC counts the 1/n−1 split's
    /// n·514−1 remainder too (the first byte travels in its own record, RFC-less but universal in
    /// OpenSSL-era TLS 1.0).
    /// </summary>
    public static bool IsCellRecord(int recordLength, in TlsRecordProtection protection)
    {
        switch (protection.Kind)
        {
            case TlsProtectionKind.Fixed:
                {
                    int plain = recordLength - protection.Overhead;
                    return plain >= CellSize && plain % CellSize == 0 && plain / CellSize <= MaxCellsPerRecord;
                }

            case TlsProtectionKind.Cbc:
                {
                    int approx = (recordLength - protection.Overhead) / CellSize;
                    for (int n = Math.Max(1, approx - 1); n <= Math.Min(MaxCellsPerRecord, approx + 1); n++)
                    {
                        int whole = n * CellSize;
                        if (protection.CiphertextLength(whole) == recordLength || protection.CiphertextLength(whole - 1) == recordLength)
                        {
                            return true;
                        }
                    }

                    return false;
                }

            default:
                return false;
        }
    }
}
