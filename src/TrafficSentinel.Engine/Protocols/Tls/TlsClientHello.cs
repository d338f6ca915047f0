using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// A ClientHello body (the handshake message after its 4-byte header), RFC 8446 §4.1.2 / RFC 5246
/// §7.4.1.2. Every span points into the input. The extensions the detectors need are pulled out:
/// server_name (RFC 6066 §3, the first host_name entry), ALPN (RFC 7301 §3.1, the raw
/// protocol_name_list) and supported_versions (RFC 8446 §4.2.1, the raw version list).
/// </summary>
public readonly ref struct TlsClientHello
{
    public const int RandomLength = 32;

    public readonly ushort LegacyVersion;
    public readonly ReadOnlySpan<byte> Random;
    public readonly ReadOnlySpan<byte> SessionId;

    /// <summary>Cipher suites as 2-byte big-endian pairs.</summary>
    public readonly ReadOnlySpan<byte> CipherSuites;
    public readonly ReadOnlySpan<byte> CompressionMethods;

    /// <summary>The whole extensions block (without its length), empty when absent.</summary>
    public readonly ReadOnlySpan<byte> Extensions;

    /// <summary>The first host_name of server_name, empty when absent.</summary>
    public readonly ReadOnlySpan<byte> ServerName;

    /// <summary>ALPN protocol_name_list: 1-byte-length-prefixed names, empty when absent.</summary>
    public readonly ReadOnlySpan<byte> Alpn;

    /// <summary>supported_versions list: 2-byte versions, empty when absent.</summary>
    public readonly ReadOnlySpan<byte> SupportedVersions;

    private TlsClientHello(ushort legacyVersion, ReadOnlySpan<byte> random, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> cipherSuites,
        ReadOnlySpan<byte> compressionMethods, ReadOnlySpan<byte> extensions, ReadOnlySpan<byte> serverName, ReadOnlySpan<byte> alpn,
        ReadOnlySpan<byte> supportedVersions)
    {
        LegacyVersion = legacyVersion;
        Random = random;
        SessionId = sessionId;
        CipherSuites = cipherSuites;
        CompressionMethods = compressionMethods;
        Extensions = extensions;
        ServerName = serverName;
        Alpn = alpn;
        SupportedVersions = supportedVersions;
    }

    /// <summary>The highest version offered: the largest non-GREASE supported_versions entry, else the legacy version.</summary>
    public ushort HighestVersion
    {
        get
        {
            ushort best = 0;
            for (int i = 0; i + 1 < SupportedVersions.Length; i += 2)
            {
                ushort v = BinaryPrimitives.ReadUInt16BigEndian(SupportedVersions.Slice(i));
                if ((v & 0x0F0F) != 0x0A0A && v > best)
                {
                    best = v;
                }
            }

            return best != 0 ? best : LegacyVersion;
        }
    }

    /// <summary>
    /// Parses a ClientHello body. Strict: every vector must fit, the cipher-suite list must be of
    /// even length and non-empty, the session id at most 32 bytes, and the extensions block (when
    /// present) must be well formed and end exactly at the end of the body.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out TlsClientHello hello)
    {
        hello = default;
        int offset = 0;
        if (!TlsVectors.TryReadUInt16(body, ref offset, out ushort version) || (version >> 8) != 3 || body.Length - offset < RandomLength)
        {
            return false;
        }

        ReadOnlySpan<byte> random = body.Slice(offset, RandomLength);
        offset += RandomLength;
        if (!TlsVectors.TryRead8(body, ref offset, out ReadOnlySpan<byte> sessionId) || sessionId.Length > 32
            || !TlsVectors.TryRead16(body, ref offset, out ReadOnlySpan<byte> suites) || suites.Length == 0 || (suites.Length & 1) != 0
            || !TlsVectors.TryRead8(body, ref offset, out ReadOnlySpan<byte> compression) || compression.Length == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> extensions = default;
        ReadOnlySpan<byte> serverName = default;
        ReadOnlySpan<byte> alpn = default;
        ReadOnlySpan<byte> versions = default;
        if (offset != body.Length)
        {
            // RFC 5246 §7.4.1.2: extensions may be absent; when present they run to the end.
            if (!TlsVectors.TryRead16(body, ref offset, out extensions) || offset != body.Length)
            {
                return false;
            }

            var reader = new TlsExtensionReader(extensions);
            while (reader.TryReadNext(out ushort type, out ReadOnlySpan<byte> ext))
            {
                switch (type)
                {
                    case TlsExtensionType.ServerName:
                        if (!TryReadServerName(ext, out serverName))
                        {
                            return false;
                        }

                        break;
                    case TlsExtensionType.Alpn:
                        {
                            int o = 0;
                            if (!TlsVectors.TryRead16(ext, ref o, out alpn) || o != ext.Length)
                            {
                                return false;
                            }

                            break;
                        }

                    case TlsExtensionType.SupportedVersions:
                        {
                            int o = 0;
                            if (!TlsVectors.TryRead8(ext, ref o, out versions) || o != ext.Length || (versions.Length & 1) != 0)
                            {
                                return false;
                            }

                            break;
                        }
                }
            }

            if (!reader.AtEnd)
            {
                return false;
            }
        }

        hello = new TlsClientHello(version, random, sessionId, suites, compression, extensions, serverName, alpn, versions);
        return true;
    }

    /// <summary>RFC 6066 §3: ServerNameList of (name_type, opaque name&lt;1..2^16-1&gt;); the first host_name (type 0) wins.</summary>
    private static bool TryReadServerName(ReadOnlySpan<byte> ext, out ReadOnlySpan<byte> hostName)
    {
        hostName = default;
        if (ext.Length == 0)
        {
            // A server's empty acknowledgement; in a ClientHello it carries no name.
            return true;
        }

        int o = 0;
        if (!TlsVectors.TryRead16(ext, ref o, out ReadOnlySpan<byte> list) || o != ext.Length)
        {
            return false;
        }

        int i = 0;
        while (i < list.Length)
        {
            byte nameType = list[i++];
            if (!TlsVectors.TryRead16(list, ref i, out ReadOnlySpan<byte> name))
            {
                hostName = default;
                return false;
            }

            if (nameType == 0 && hostName.IsEmpty)
            {
                hostName = name;
            }
        }

        return true;
    }
}
