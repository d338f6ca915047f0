namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// The few X.509 fields the detectors look at (RFC 5280 §4.1), read from a DER certificate without
/// allocation: issuer and subject common names and how many attributes each name has, and the
/// validity period.
/// <code>
/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
/// TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber INTEGER,
///     signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore, notAfter },
///     subject Name, subjectPublicKeyInfo, ... }
/// Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY }
/// </code>
/// </summary>
public readonly ref struct X509Summary
{
    /// <summary>id-at-commonName 2.5.4.3 as DER OID contents (RFC 5280 appendix A).</summary>
    private static ReadOnlySpan<byte> CommonNameOid => [0x55, 0x04, 0x03];

    /// <summary>Contents of the issuer's first commonName value (any string type), empty when none.</summary>
    public readonly ReadOnlySpan<byte> IssuerCommonName;

    /// <summary>Attribute-value pairs in the issuer name, all RDNs together.</summary>
    public readonly int IssuerAttributeCount;

    public readonly ReadOnlySpan<byte> SubjectCommonName;
    public readonly int SubjectAttributeCount;

    /// <summary>Validity, seconds since the Unix epoch.</summary>
    public readonly long NotBefore;
    public readonly long NotAfter;

    private X509Summary(ReadOnlySpan<byte> issuerCn, int issuerCount, ReadOnlySpan<byte> subjectCn, int subjectCount, long notBefore, long notAfter)
    {
        IssuerCommonName = issuerCn;
        IssuerAttributeCount = issuerCount;
        SubjectCommonName = subjectCn;
        SubjectAttributeCount = subjectCount;
        NotBefore = notBefore;
        NotAfter = notAfter;
    }

    /// <summary>True when the issuer name is exactly one commonName attribute.</summary>
    public bool IssuerIsCommonNameOnly => IssuerAttributeCount == 1 && !IssuerCommonName.IsEmpty;

    public bool SubjectIsCommonNameOnly => SubjectAttributeCount == 1 && !SubjectCommonName.IsEmpty;

    /// <summary>Parses one DER certificate that must fill <paramref name="der"/> exactly.</summary>
    public static bool TryParse(ReadOnlySpan<byte> der, out X509Summary summary)
    {
        summary = default;
        if (DerReader.TryReadTlv(der, out byte tag, out ReadOnlySpan<byte> certificate, out int consumed) != TlsParseStatus.Ok
            || tag != DerReader.Sequence || consumed != der.Length)
        {
            return false;
        }

        int offset = 0;
        if (!DerReader.TryReadExpected(certificate, ref offset, DerReader.Sequence, out ReadOnlySpan<byte> tbs))
        {
            return false;
        }

        int t = 0;
        if (t < tbs.Length && tbs[t] == DerReader.ContextConstructed0 && !DerReader.TryReadExpected(tbs, ref t, DerReader.ContextConstructed0, out _))
        {
            return false;
        }

        if (!DerReader.TryReadExpected(tbs, ref t, DerReader.Integer, out _)
            || !DerReader.TryReadExpected(tbs, ref t, DerReader.Sequence, out _)
            || !DerReader.TryReadExpected(tbs, ref t, DerReader.Sequence, out ReadOnlySpan<byte> issuer)
            || !DerReader.TryReadExpected(tbs, ref t, DerReader.Sequence, out ReadOnlySpan<byte> validity)
            || !DerReader.TryReadExpected(tbs, ref t, DerReader.Sequence, out ReadOnlySpan<byte> subject)
            || !TryReadName(issuer, out ReadOnlySpan<byte> issuerCn, out int issuerCount)
            || !TryReadName(subject, out ReadOnlySpan<byte> subjectCn, out int subjectCount)
            || !TryReadValidity(validity, out long notBefore, out long notAfter))
        {
            return false;
        }

        summary = new X509Summary(issuerCn, issuerCount, subjectCn, subjectCount, notBefore, notAfter);
        return true;
    }

    private static bool TryReadValidity(ReadOnlySpan<byte> validity, out long notBefore, out long notAfter)
    {
        notBefore = 0;
        notAfter = 0;
        if (DerReader.TryReadTlv(validity, out byte tag1, out ReadOnlySpan<byte> t1, out int c1) != TlsParseStatus.Ok
            || DerReader.TryReadTlv(validity.Slice(c1), out byte tag2, out ReadOnlySpan<byte> t2, out int c2) != TlsParseStatus.Ok
            || c1 + c2 != validity.Length
            || !DerReader.TryParseTime(tag1, t1, out notBefore)
            || !DerReader.TryParseTime(tag2, t2, out notAfter))
        {
            notBefore = 0;
            notAfter = 0;
            return false;
        }

        return true;
    }

    private static bool TryReadName(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> commonName, out int attributes)
    {
        commonName = default;
        attributes = 0;
        int offset = 0;
        while (offset < name.Length)
        {
            if (!DerReader.TryReadExpected(name, ref offset, DerReader.Set, out ReadOnlySpan<byte> rdn) || rdn.IsEmpty)
            {
                commonName = default;
                attributes = 0;
                return false;
            }

            int r = 0;
            while (r < rdn.Length)
            {
                int a = 0;
                if (!DerReader.TryReadExpected(rdn, ref r, DerReader.Sequence, out ReadOnlySpan<byte> atv)
                    || !DerReader.TryReadExpected(atv, ref a, DerReader.ObjectIdentifier, out ReadOnlySpan<byte> oid)
                    || DerReader.TryReadTlv(atv.Slice(a), out _, out ReadOnlySpan<byte> value, out int used) != TlsParseStatus.Ok
                    || a + used != atv.Length)
                {
                    commonName = default;
                    attributes = 0;
                    return false;
                }

                attributes++;
                if (commonName.IsEmpty && oid.SequenceEqual(CommonNameOid))
                {
                    commonName = value;
                }
            }
        }

        return true;
    }
}

/// <summary>
/// The TLS ≤ 1.2 Certificate message body (RFC 5246 §7.4.2): a 3-byte-length certificate_list of
/// 3-byte-length DER certificates, sender's certificate first. (TLS 1.3's Certificate is encrypted
/// and has a different layout, RFC 8446 §4.4.2.)
/// </summary>
public readonly ref struct TlsCertificateList
{
    private readonly ReadOnlySpan<byte> _list;

    private TlsCertificateList(ReadOnlySpan<byte> list) => _list = list;

    /// <summary>Bytes of the certificate_list.</summary>
    public int Length => _list.Length;

    /// <summary>Checks the framing of the whole list: every entry fits and the list fills the body exactly.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out TlsCertificateList list)
    {
        list = default;
        int offset = 0;
        if (!TlsVectors.TryRead24(body, ref offset, out ReadOnlySpan<byte> certificates) || offset != body.Length)
        {
            return false;
        }

        int i = 0;
        while (i < certificates.Length)
        {
            if (!TlsVectors.TryRead24(certificates, ref i, out ReadOnlySpan<byte> der) || der.IsEmpty)
            {
                return false;
            }
        }

        list = new TlsCertificateList(certificates);
        return true;
    }

    /// <summary>Returns the certificate after position <paramref name="offset"/> (start at 0) and advances.</summary>
    public bool TryGetNext(scoped ref int offset, out ReadOnlySpan<byte> der) => TlsVectors.TryRead24(_list, ref offset, out der);
}
