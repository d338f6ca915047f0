using TrafficSentinel.Engine.Protocols.Tls;

namespace TrafficSentinel.Engine.Tests.Protocols.Tls;

/// <summary>Every parser over every prefix of real messages, and over random bytes: no throw, no read past the end, defaults on failure.</summary>
public sealed class TlsTruncationTests
{
    [Fact]
    public void ClientHello_EveryTruncation_FailsWithDefaults()
    {
        foreach (byte[] body in new[] { TorPcapBytes.ClientHelloRecord.AsSpan(9).ToArray(), TlsHelloTests.Tls13ClientHelloBody() })
        {
            Assert.True(TlsClientHello.TryParse(body, out _));
            for (int n = 0; n < body.Length; n++)
            {
                bool ok = TlsClientHello.TryParse(body.AsSpan(0, n), out TlsClientHello hello);
                if (!ok)
                {
                    Assert.True(hello.ServerName.IsEmpty && hello.Random.IsEmpty && hello.CipherSuites.IsEmpty);
                    Assert.Equal(0, hello.LegacyVersion);
                }
                else
                {
                    // Only a cut exactly after compression_methods (extensions absent) is a valid ClientHello.
                    Assert.True(hello.Extensions.IsEmpty);
                }
            }
        }
    }

    [Fact]
    public void ServerHello_EveryTruncation_FailsWithDefaults()
    {
        byte[] body = TorPcapBytes.ServerFlight.AsSpan(9, 53).ToArray();
        for (int n = 0; n < body.Length; n++)
        {
            bool ok = TlsServerHello.TryParse(body.AsSpan(0, n), out TlsServerHello hello);
            if (!ok)
            {
                Assert.Equal(0, hello.CipherSuite);
                Assert.True(hello.Random.IsEmpty);
            }
            else
            {
                Assert.Equal(38, n); // cut right after compression_method
            }
        }
    }

    [Fact]
    public void CertificateAndX509_EveryTruncation_Fail()
    {
        byte[] body = TlsCertificateTests.TorCertificateBody;
        for (int n = 0; n < body.Length; n++)
        {
            Assert.False(TlsCertificateList.TryParse(body.AsSpan(0, n), out TlsCertificateList list));
            Assert.Equal(0, list.Length);
        }

        byte[] der = body.AsSpan(6).ToArray();
        Assert.True(X509Summary.TryParse(der, out _));
        for (int n = 0; n < der.Length; n++)
        {
            Assert.False(X509Summary.TryParse(der.AsSpan(0, n), out X509Summary cert));
            Assert.True(cert.IssuerCommonName.IsEmpty);
            Assert.Equal(0, cert.SubjectAttributeCount);
        }
    }

    [Fact]
    public void DerReader_EveryTruncationOfACertificate_IsIncomplete()
    {
        byte[] der = TlsCertificateTests.TorCertificateBody.AsSpan(6).ToArray();
        for (int n = 0; n < der.Length; n++)
        {
            Assert.Equal(TlsParseStatus.Incomplete, DerReader.TryReadTlv(der.AsSpan(0, n), out _, out _, out int used));
            Assert.Equal(0, used);
        }
    }

    [Fact]
    public void RecordWalk_EveryTruncationOfTheServerFlight_NeverThrows()
    {
        byte[] flight = TorPcapBytes.ServerFlight;
        for (int n = 0; n <= flight.Length; n++)
        {
            ReadOnlySpan<byte> rest = flight.AsSpan(0, n);
            while (TlsRecordHeader.TryParse(rest, out TlsRecordHeader h) == TlsParseStatus.Ok && rest.Length >= 5 + h.Length)
            {
                rest = rest.Slice(5 + h.Length);
            }
        }
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(3);
        byte[] buffer = new byte[600];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length);
            Span<byte> data = buffer.AsSpan(0, length);
            random.NextBytes(data);
            if (length > 0 && i % 2 == 0)
            {
                data[0] = (byte)(i % 4 == 0 ? 0x30 : 0x03); // bias towards plausible starts
            }

            _ = TlsRecordHeader.TryParse(data, out _);
            _ = TlsHandshakeHeader.TryReadMessage(data, out _, out _);
            _ = TlsClientHello.TryParse(data, out _);
            _ = TlsServerHello.TryParse(data, out _);
            _ = TlsCertificateList.TryParse(data, out _);
            _ = X509Summary.TryParse(data, out _);
            _ = DerReader.TryReadTlv(data, out _, out _, out _);
        }
    }
}
