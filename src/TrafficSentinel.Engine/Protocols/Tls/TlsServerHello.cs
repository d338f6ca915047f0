using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>
/// A ServerHello body (RFC 8446 §4.1.3 / RFC 5246 §7.4.1.3): legacy version, random, session id
/// echo, the chosen cipher suite and compression, and the supported_versions extension that tells
/// TLS 1.3 apart (RFC 8446 §4.2.1: a TLS 1.3 server sends legacy_version 0x0303 and selected_version 0x0304).
/// </summary>
public readonly ref struct TlsServerHello
{
    /// <summary>RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this random (SHA-256 of "HelloRetryRequest").</summary>
    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    public readonly ushort LegacyVersion;
    public readonly ReadOnlySpan<byte> Random;
    public readonly ReadOnlySpan<byte> SessionId;
    public readonly ushort CipherSuite;
    public readonly byte CompressionMethod;
    public readonly ReadOnlySpan<byte> Extensions;

    /// <summary>supported_versions' selected_version, 0 when absent.</summary>
    public readonly ushort SelectedVersion;

    private TlsServerHello(ushort legacyVersion, ReadOnlySpan<byte> random, ReadOnlySpan<byte> sessionId, ushort cipherSuite, byte compression,
        ReadOnlySpan<byte> extensions, ushort selectedVersion)
    {
        LegacyVersion = legacyVersion;
        Random = random;
        SessionId = sessionId;
        CipherSuite = cipherSuite;
        CompressionMethod = compression;
        Extensions = extensions;
        SelectedVersion = selectedVersion;
    }

    /// <summary>The version in force: selected_version when present, else the legacy version.</summary>
    public ushort NegotiatedVersion => SelectedVersion != 0 ? SelectedVersion : LegacyVersion;

    public bool IsHelloRetryRequest => Random.SequenceEqual(HelloRetryRandom);

    /// <summary>Parses a ServerHello body; strict framing as for <see cref="TlsClientHello.TryParse"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out TlsServerHello hello)
    {
        hello = default;
        int offset = 0;
        if (!TlsVectors.TryReadUInt16(body, ref offset, out ushort version) || (version >> 8) != 3 || body.Length - offset < 32)
        {
            return false;
        }

        ReadOnlySpan<byte> random = body.Slice(offset, 32);
        offset += 32;
        if (!TlsVectors.TryRead8(body, ref offset, out ReadOnlySpan<byte> sessionId) || sessionId.Length > 32
            || !TlsVectors.TryReadUInt16(body, ref offset, out ushort suite) || offset >= body.Length)
        {
            return false;
        }

        byte compression = body[offset++];
        ReadOnlySpan<byte> extensions = default;
        ushort selected = 0;
        if (offset != body.Length)
        {
            if (!TlsVectors.TryRead16(body, ref offset, out extensions) || offset != body.Length)
            {
                return false;
            }

            var reader = new TlsExtensionReader(extensions);
            while (reader.TryReadNext(out ushort type, out ReadOnlySpan<byte> ext))
            {
                if (type == TlsExtensionType.SupportedVersions)
                {
                    if (ext.Length != 2)
                    {
                        return false;
                    }

                    selected = BinaryPrimitives.ReadUInt16BigEndian(ext);
                }
            }

            if (!reader.AtEnd)
            {
                return false;
            }
        }

        hello = new TlsServerHello(version, random, sessionId, suite, compression, extensions, selected);
        return true;
    }
}
