namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>Outcome of a TLS framing parse: the bytes so far may be a valid prefix (Incomplete) or are not TLS (Invalid).</summary>
public enum TlsParseStatus : byte
{
    Ok,

    /// <summary>A valid prefix; more bytes are needed.</summary>
    Incomplete,

    /// <summary>Not a well-formed TLS structure.</summary>
    Invalid,
}

/// <summary>TLS record content types (RFC 8446 §5.1, RFC 5246 §6.2.1).</summary>
public enum TlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24,
}

/// <summary>TLS handshake message types (RFC 8446 §4, RFC 5246 §7.4).</summary>
public enum TlsHandshakeType : byte
{
    HelloRequest = 0,
    ClientHello = 1,
    ServerHello = 2,
    NewSessionTicket = 4,
    EncryptedExtensions = 8,
    Certificate = 11,
    ServerKeyExchange = 12,
    CertificateRequest = 13,
    ServerHelloDone = 14,
    CertificateVerify = 15,
    ClientKeyExchange = 16,
    Finished = 20,
}

/// <summary>Protocol version numbers as they appear on the wire.</summary>
public static class TlsVersion
{
    public const ushort Ssl30 = 0x0300;
    public const ushort Tls10 = 0x0301;
    public const ushort Tls11 = 0x0302;
    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;
}

/// <summary>Extension numbers the parsers pull out (IANA TLS ExtensionType registry).</summary>
public static class TlsExtensionType
{
    public const ushort ServerName = 0;
    public const ushort Alpn = 16;
    public const ushort SupportedVersions = 43;
}
