using System.Buffers.Binary;
using System.Text;
using TrafficSentinel.Engine.Protocols.Tls;

namespace TrafficSentinel.Engine.Tests.Protocols.Tls;

public sealed class TlsHelloTests
{
    /// <summary>
    /// A TLS 1.3 ClientHello built field by field: legacy 0x0303, random, 32-byte session id, two
    /// suites, null compression, then server_name "www.example.com", ALPN h2/http/1.1 and
    /// supported_versions GREASE, 1.3, 1.2.
    /// </summary>
    internal static byte[] Tls13ClientHelloBody(string sni = "www.example.com")
    {
        var b = new List<byte> { 0x03, 0x03 };
        b.AddRange(new byte[32]); // random
        b.Add(32);
        b.AddRange(Enumerable.Repeat((byte)0xAB, 32)); // session id
        b.AddRange([0x00, 0x04, 0x13, 0x01, 0x13, 0x02]); // cipher suites
        b.AddRange([0x01, 0x00]); // compression: null
        var ext = new List<byte>();
        byte[] name = Encoding.ASCII.GetBytes(sni);
        ext.AddRange([0x00, 0x00, 0x00, (byte)(name.Length + 5), 0x00, (byte)(name.Length + 3), 0x00, 0x00, (byte)name.Length]);
        ext.AddRange(name);
        ext.AddRange([0x00, 0x10, 0x00, 0x0E, 0x00, 0x0C, 0x02, (byte)'h', (byte)'2', 0x08]);
        ext.AddRange("http/1.1"u8.ToArray());
        ext.AddRange([0x00, 0x2B, 0x00, 0x07, 0x06, 0x5A, 0x5A, 0x03, 0x04, 0x03, 0x03]);
        b.Add((byte)(ext.Count >> 8));
        b.Add((byte)ext.Count);
        b.AddRange(ext);
        return [.. b];
    }

    [Fact]
    public void TorPcapClientHello_AllFields()
    {
        ReadOnlySpan<byte> body = TorPcapBytes.ClientHelloRecord.AsSpan(TlsRecordHeader.Size + TlsHandshakeHeader.Size);
        Assert.True(TlsClientHello.TryParse(body, out TlsClientHello hello));
        Assert.Equal(TlsVersion.Tls10, hello.LegacyVersion);
        Assert.Equal(0x52, hello.Random[0]);
        Assert.Equal(32, hello.Random.Length);
        Assert.True(hello.SessionId.IsEmpty);
        Assert.Equal(72, hello.CipherSuites.Length);
        Assert.Equal(0xC00A, BinaryPrimitives.ReadUInt16BigEndian(hello.CipherSuites));
        Assert.Equal([0], hello.CompressionMethods.ToArray());
        Assert.Equal(87, hello.Extensions.Length);
        Assert.Equal("www.t3i3ru.com", Encoding.ASCII.GetString(hello.ServerName));
        Assert.True(hello.Alpn.IsEmpty);
        Assert.True(hello.SupportedVersions.IsEmpty);
        Assert.Equal(TlsVersion.Tls10, hello.HighestVersion);
    }

    [Fact]
    public void Tls13ClientHello_SniAlpnSupportedVersions()
    {
        byte[] body = Tls13ClientHelloBody();
        Assert.True(TlsClientHello.TryParse(body, out TlsClientHello hello));
        Assert.Equal("www.example.com", Encoding.ASCII.GetString(hello.ServerName));
        Assert.Equal(32, hello.SessionId.Length);
        Assert.Equal("\u0002h2\u0008http/1.1", Encoding.ASCII.GetString(hello.Alpn));
        Assert.Equal(6, hello.SupportedVersions.Length);
        Assert.Equal(TlsVersion.Tls13, hello.HighestVersion); // GREASE 0x5A5A ignored
    }

    [Fact]
    public void ClientHello_TrailingByteAfterExtensions_IsRejected()
    {
        byte[] body = [.. Tls13ClientHelloBody(), 0x00];
        Assert.False(TlsClientHello.TryParse(body, out TlsClientHello hello));
        Assert.True(hello.ServerName.IsEmpty);
        Assert.Equal(0, hello.LegacyVersion);
    }

    [Fact]
    public void TorPcapServerHello_VersionSuiteExtensions()
    {
        ReadOnlySpan<byte> body = TorPcapBytes.ServerFlight.AsSpan(TlsRecordHeader.Size + TlsHandshakeHeader.Size, 53);
        Assert.True(TlsServerHello.TryParse(body, out TlsServerHello hello));
        Assert.Equal(TlsVersion.Tls10, hello.LegacyVersion);
        Assert.Equal(TlsVersion.Tls10, hello.NegotiatedVersion);
        Assert.Equal(0xC013, hello.CipherSuite);
        Assert.Equal(0, hello.CompressionMethod);
        Assert.Equal(13, hello.Extensions.Length);
        Assert.Equal(0, hello.SelectedVersion);
        Assert.False(hello.IsHelloRetryRequest);
    }

    /// <summary>
    /// Our bridge capture (tor-bridge-9001.pcap frame 6): the ServerHello of tor 0.4.9 over TLS 1.3,
    /// legacy version 0x0303, suite 0x1302 TLS_AES_256_GCM_SHA384, supported_versions 0x0304, key_share x25519... (P-256 here).
    /// </summary>
    [Fact]
    public void Tls13ServerHello_SelectedVersionFromExtension()
    {
        byte[] body = Convert.FromHexString(
            "0303" + // legacy_version TLS 1.2
            "0aeb7622e2c13b8687773b44034755a4c612ddfbf6026d5db3fdc302b06812d4" + // random
            "20" + "9600b8142aed0400dadf570d0382b496a4b8527f43dfee6e40cb8ce67b31849a" + // legacy_session_id_echo, 32 bytes
            "1302" + // cipher suite TLS_AES_256_GCM_SHA384
            "00" + // compression null
            "004f" + // extensions: 79 bytes
            "002b00020304" + // supported_versions: TLS 1.3
            "003300450017004104" + // key_share: secp256r1, 65-byte uncompressed point
            "5ecb1d773cd49b44f2b75c7abf775405f16677bc83f01d1d14e4e66cc43a2418fbf273f3b689f8a88ab2bec41010f28e1d40bf39371b625699461c0b4befdb40");
        Assert.True(TlsServerHello.TryParse(body, out TlsServerHello hello));
        Assert.Equal(TlsVersion.Tls12, hello.LegacyVersion);
        Assert.Equal(TlsVersion.Tls13, hello.SelectedVersion);
        Assert.Equal(TlsVersion.Tls13, hello.NegotiatedVersion);
        Assert.Equal(0x1302, hello.CipherSuite);
        Assert.Equal(32, hello.SessionId.Length);
    }

    [Fact]
    public void HelloRetryRequest_IsRecognisedByItsRandom()
    {
        byte[] body = Convert.FromHexString(
            "0303" + "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c" + "00" + "1301" + "00" + "0006" + "002b00020304");
        Assert.True(TlsServerHello.TryParse(body, out TlsServerHello hello));
        Assert.True(hello.IsHelloRetryRequest);
    }
}
