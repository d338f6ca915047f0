namespace TrafficSentinel.Engine.Protocols.Tls;

/// <summary>How a negotiated cipher suite turns plaintext record lengths into ciphertext lengths.</summary>
public enum TlsProtectionKind : byte
{
    Unknown,

    /// <summary>Fixed expansion: ciphertext = plaintext + <see cref="TlsRecordProtection.Overhead"/>.</summary>
    Fixed,

    /// <summary>Block cipher in CBC mode with HMAC: MAC, then at least one padding byte up to the block size.</summary>
    Cbc,
}

/// <summary>
/// Record expansion of a negotiated suite, enough to predict the ciphertext length of a plaintext
/// length: TLS 1.3 AEAD (RFC 8446 §5.2: inner content type byte + 16-byte tag), TLS 1.2 AES-GCM
/// (RFC 5288 §3: 8-byte explicit nonce + 16-byte tag), ChaCha20-Poly1305 (RFC 7905: 16-byte tag),
/// CBC (RFC 5246 §6.2.3.2: MAC, padding to the block size, explicit IV from TLS 1.1, RFC 4346 §6.2.3.2).
/// </summary>
public readonly struct TlsRecordProtection
{
    public readonly TlsProtectionKind Kind;

    /// <summary>Fixed expansion in bytes (Fixed), or the IV length (Cbc).</summary>
    public readonly byte Overhead;
    public readonly byte MacLength;
    public readonly byte BlockSize;

    public TlsRecordProtection(TlsProtectionKind kind, byte overhead, byte macLength, byte blockSize)
    {
        Kind = kind;
        Overhead = overhead;
        MacLength = macLength;
        BlockSize = blockSize;
    }

    /// <summary>The protection a ServerHello's version and suite imply; Unknown for suites not classified.</summary>
    public static TlsRecordProtection For(ushort version, ushort suite)
    {
        if (version >= TlsVersion.Tls13 || (suite >> 8) == 0x13)
        {
            // TLS_AES_128_CCM_8_SHA256 has an 8-byte tag; the other four 16.
            return new TlsRecordProtection(TlsProtectionKind.Fixed, suite == 0x1305 ? (byte)9 : (byte)17, 0, 0);
        }

        if (suite is >= 0xCCA8 and <= 0xCCAE)
        {
            return new TlsRecordProtection(TlsProtectionKind.Fixed, 16, 0, 0);
        }

        if (suite is (>= 0x009C and <= 0x00AD) or (>= 0xC02B and <= 0xC032) or (>= 0xC09C and <= 0xC0A3) or 0xD001 or 0xD002)
        {
            return new TlsRecordProtection(TlsProtectionKind.Fixed, 24, 0, 0);
        }

        byte mac = suite switch
        {
            0xC024 or 0xC026 or 0xC028 or 0xC02A => 48,
            (>= 0x003B and <= 0x0040) or (>= 0x0067 and <= 0x006D) or (>= 0x00BA and <= 0x00C5)
                or 0xC023 or 0xC025 or 0xC027 or 0xC029 => 32,
            0x0001 or 0x0004 => 16,
            _ => 20,
        };
        if (suite is 0x0004 or 0x0005 or 0xC002 or 0xC007 or 0xC00C or 0xC011 or 0xC016)
        {
            // RC4: a stream cipher, plaintext + MAC.
            return new TlsRecordProtection(TlsProtectionKind.Fixed, mac, mac, 0);
        }

        byte block = suite is 0x000A or 0x0013 or 0x0016 or 0xC003 or 0xC008 or 0xC00D or 0xC012 or 0xC017 ? (byte)8 : (byte)16;
        byte iv = version >= TlsVersion.Tls11 ? block : (byte)0;
        return new TlsRecordProtection(TlsProtectionKind.Cbc, iv, mac, block);
    }

    /// <summary>The ciphertext fragment length of a plaintext of <paramref name="plaintext"/> bytes (minimal CBC padding); -1 when unknown.</summary>
    public int CiphertextLength(int plaintext) => Kind switch
    {
        TlsProtectionKind.Fixed => plaintext + Overhead,
        TlsProtectionKind.Cbc => Overhead + (((plaintext + MacLength + 1 + BlockSize - 1) / BlockSize) * BlockSize),
        _ => -1,
    };
}
