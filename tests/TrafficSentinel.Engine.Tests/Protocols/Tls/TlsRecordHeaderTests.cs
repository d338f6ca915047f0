using TrafficSentinel.Engine.Protocols.Tls;

namespace TrafficSentinel.Engine.Tests.Protocols.Tls;

public sealed class TlsRecordHeaderTests
{
    [Fact]
    public void ClientHelloRecord_FromTorPcap_ParsesTypeVersionLength()
    {
        Assert.Equal(TlsParseStatus.Ok, TlsRecordHeader.TryParse(TorPcapBytes.ClientHelloRecord, out TlsRecordHeader header));
        Assert.Equal(TlsContentType.Handshake, header.ContentType);
        Assert.Equal(TlsVersion.Tls10, header.Version);
        Assert.Equal(204, header.Length);
    }

    [Theory]
    [InlineData("1703030213", TlsContentType.ApplicationData, 0x0303, 531)] // TLS 1.3 record of one 514-byte cell
    [InlineData("1703030000", TlsContentType.ApplicationData, 0x0303, 0)] // empty application data is legal
    [InlineData("1403030001", TlsContentType.ChangeCipherSpec, 0x0303, 1)]
    [InlineData("1603034800", TlsContentType.Handshake, 0x0303, 18432)] // the largest fragment (2^14 + 2048)
    public void ValidHeaders_Parse(string hex, TlsContentType type, int version, int length)
    {
        Assert.Equal(TlsParseStatus.Ok, TlsRecordHeader.TryParse(Convert.FromHexString(hex), out TlsRecordHeader header));
        Assert.Equal(type, header.ContentType);
        Assert.Equal(version, header.Version);
        Assert.Equal(length, header.Length);
    }

    [Theory]
    [InlineData("1303030010")] // content type 19
    [InlineData("1903030010")] // content type 25
    [InlineData("1602030010")] // major version 2
    [InlineData("1603050010")] // minor version 5
    [InlineData("1603034801")] // one byte over 2^14 + 2048
    [InlineData("1603030000")] // empty handshake record
    [InlineData("474554202f")] // "GET /"
    public void InvalidHeaders_AreRejectedWithDefaults(string hex)
    {
        Assert.Equal(TlsParseStatus.Invalid, TlsRecordHeader.TryParse(Convert.FromHexString(hex), out TlsRecordHeader header));
        Assert.Equal(default, header.Length);
        Assert.Equal(default, header.ContentType);
    }

    [Fact]
    public void EveryPrefix_IsIncompleteUntilFiveBytes()
    {
        byte[] record = TorPcapBytes.ClientHelloRecord;
        for (int n = 0; n < TlsRecordHeader.Size; n++)
        {
            Assert.Equal(TlsParseStatus.Incomplete, TlsRecordHeader.TryParse(record.AsSpan(0, n), out _));
        }
    }

    [Fact]
    public void HandshakeMessage_SplitsOffWholeMessagesOnly()
    {
        ReadOnlySpan<byte> body = TorPcapBytes.ClientHelloRecord.AsSpan(TlsRecordHeader.Size);
        Assert.Equal(TlsParseStatus.Ok, TlsHandshakeHeader.TryReadMessage(body, out TlsHandshakeHeader header, out ReadOnlySpan<byte> message));
        Assert.Equal(TlsHandshakeType.ClientHello, header.Type);
        Assert.Equal(200, header.Length);
        Assert.Equal(200, message.Length);
        for (int n = 0; n < body.Length; n++)
        {
            Assert.Equal(TlsParseStatus.Incomplete, TlsHandshakeHeader.TryReadMessage(body.Slice(0, n), out TlsHandshakeHeader h, out ReadOnlySpan<byte> m));
            Assert.Equal(0, h.Length);
            Assert.True(m.IsEmpty);
        }
    }
}
