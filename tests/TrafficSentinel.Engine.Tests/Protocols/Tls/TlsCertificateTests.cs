using System.Text;
using TrafficSentinel.Engine.Protocols.Tls;

namespace TrafficSentinel.Engine.Tests.Protocols.Tls;

public sealed class TlsCertificateTests
{
    /// <summary>The Certificate message body in the tor.pcap server flight (after ServerHello's record and the 4-byte handshake header).</summary>
    internal static byte[] TorCertificateBody => TorPcapBytes.ServerFlight.AsSpan(5 + 57 + 5 + 4, 455).ToArray();

    [Fact]
    public void TorRelayLinkCertificate_CnOnlyNamesAndValidity()
    {
        Assert.True(TlsCertificateList.TryParse(TorCertificateBody, out TlsCertificateList list));
        Assert.Equal(452, list.Length);
        int offset = 0;
        Assert.True(list.TryGetNext(ref offset, out ReadOnlySpan<byte> der));
        Assert.Equal(449, der.Length);
        Assert.False(list.TryGetNext(ref offset, out _));

        Assert.True(X509Summary.TryParse(der, out X509Summary cert));
        Assert.Equal("www.7d43ah2kikrabj.net", Encoding.ASCII.GetString(cert.SubjectCommonName));
        Assert.Equal("www.wohgpas45j6ucw.com", Encoding.ASCII.GetString(cert.IssuerCommonName));
        Assert.True(cert.SubjectIsCommonNameOnly);
        Assert.True(cert.IssuerIsCommonNameOnly);
        Assert.Equal(new DateTimeOffset(2013, 9, 11, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), cert.NotBefore);
        Assert.Equal(new DateTimeOffset(2013, 11, 24, 23, 59, 59, TimeSpan.Zero).ToUnixTimeSeconds(), cert.NotAfter);
    }

    [Fact]
    public void CertificateWithTrailingByte_IsRejected()
    {
        byte[] body = TorCertificateBody;
        int offset = 0;
        Assert.True(TlsCertificateList.TryParse(body, out TlsCertificateList list));
        Assert.True(list.TryGetNext(ref offset, out ReadOnlySpan<byte> der));
        byte[] longer = [.. der, 0x00];
        Assert.False(X509Summary.TryParse(longer, out X509Summary cert));
        Assert.True(cert.SubjectCommonName.IsEmpty);
        Assert.Equal(0, cert.NotAfter);
    }

    [Theory]
    [InlineData("0500", 0x05, 0, 2)] // NULL
    [InlineData("0403aabbcc", 0x04, 3, 5)] // OCTET STRING, short length
    [InlineData("048180" + "00", 0x04, -1, -1)] // long form for 128: incomplete with one content byte
    [InlineData("30820080", 0x30, -2, -2)] // non-minimal: 2 length bytes for 128
    [InlineData("308180", 0x30, -1, -1)] // minimal long form, contents missing
    [InlineData("3080", 0x30, -2, -2)] // indefinite length
    [InlineData("1f0100", 0x1F, -2, -2)] // high tag number form
    [InlineData("30840000000100", 0x30, -2, -2)] // 4 length octets
    public void DerTlv_StrictDefiniteLengths(string hex, int tag, int contentLength, int consumed)
    {
        TlsParseStatus status = DerReader.TryReadTlv(Convert.FromHexString(hex), out byte t, out ReadOnlySpan<byte> contents, out int used);
        if (contentLength >= 0)
        {
            Assert.Equal(TlsParseStatus.Ok, status);
            Assert.Equal(tag, t);
            Assert.Equal(contentLength, contents.Length);
            Assert.Equal(consumed, used);
            return;
        }

        Assert.Equal(contentLength == -1 ? TlsParseStatus.Incomplete : TlsParseStatus.Invalid, status);
        Assert.Equal(0, t);
        Assert.Equal(0, used);
        Assert.True(contents.IsEmpty);
    }

    [Theory]
    [InlineData(DerReader.UtcTime, "491231235959Z", 2524607999L)] // 2049
    [InlineData(DerReader.UtcTime, "500101000000Z", -631152000L)] // 1950
    [InlineData(DerReader.GeneralizedTime, "20240229120000Z", 1709208000L)]
    public void Times_ParseToUnixSeconds(byte tag, string text, long expected)
    {
        Assert.True(DerReader.TryParseTime(tag, Encoding.ASCII.GetBytes(text), out long seconds));
        Assert.Equal(expected, seconds);
    }

    [Theory]
    [InlineData(DerReader.UtcTime, "4912312359Z")]
    [InlineData(DerReader.UtcTime, "491331235959Z")]
    [InlineData(DerReader.UtcTime, "49123123595aZ")]
    [InlineData(DerReader.GeneralizedTime, "491231235959Z")]
    public void BadTimes_AreRejected(byte tag, string text)
    {
        Assert.False(DerReader.TryParseTime(tag, Encoding.ASCII.GetBytes(text), out long seconds));
        Assert.Equal(0, seconds);
    }
}
