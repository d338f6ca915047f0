using System.Text;
using TrafficSentinel.Engine.Protocols.Tls;
using TrafficSentinel.Engine.Protocols.Tor;

namespace TrafficSentinel.Engine.Tests.Protocols.Tor;

public sealed class TorLinkShapesTests
{
    [Theory]
    [InlineData("www.t3i3ru.com", true)]
    [InlineData("www.soi3soyvavptzfurtkwm5igtp.com", true)] // 25 random characters, the maximum
    [InlineData("www.abcd.com", true)] // 4, the minimum: ordinary names fit too, which is why the SNI alone never decides
    [InlineData("www.google.com", true)]
    [InlineData("www.abc.com", false)] // 3
    [InlineData("www.soi3soyvavptzfurtkwm5igtpa.com", false)] // 26
    [InlineData("www.t3i3ru.net", false)]
    [InlineData("www.t3i8ru.com", false)] // 8 is not base32
    [InlineData("www.T3i3ru.com", false)] // upper case
    [InlineData("www.my-site.com", false)]
    [InlineData("mail.t3i3ru.com", false)]
    [InlineData("www.a.b.c.d.com", false)]
    public void ClientSni(string name, bool expected) => Assert.Equal(expected, TorLinkShapes.IsClientSni(Encoding.ASCII.GetBytes(name)));

    [Theory]
    [InlineData(531, true)] // TLS 1.3: one cell + type byte + 16-byte tag
    [InlineData(1045, true)] // two cells
    [InlineData(514 * 31 + 17, true)]
    [InlineData(514 * 32 + 17, false)]
    [InlineData(17, false)]
    [InlineData(530, false)]
    [InlineData(2028, false)] // VERSIONS+CERTS+AUTH_CHALLENGE+NETINFO: variable cells
    public void CellRecords_Tls13(int length, bool expected) =>
        Assert.Equal(expected, TorLinkShapes.IsCellRecord(length, TlsRecordProtection.For(TlsVersion.Tls13, 0x1302)));

    [Theory]
    [InlineData(544, true)] // tor.pcap: 513 bytes (1/n-1 split) + 20-byte SHA-1 MAC + padding to 16
    [InlineData(32, false)] // the split's 1-byte record
    [InlineData(1056, true)] // two cells: 1028 + 20 + 1 padded to 16
    [InlineData(560, false)]
    public void CellRecords_Tls10AesCbcSha(int length, bool expected) =>
        Assert.Equal(expected, TorLinkShapes.IsCellRecord(length, TlsRecordProtection.For(TlsVersion.Tls10, 0xC013)));

    [Fact]
    public void CellRecords_Tls12Gcm_AddsNonceAndTag() =>
        Assert.True(TorLinkShapes.IsCellRecord(514 + 24, TlsRecordProtection.For(TlsVersion.Tls12, 0xC02F)));

    [Fact]
    public void CellRecords_UnknownProtection_NeverCounts() =>
        Assert.False(TorLinkShapes.IsCellRecord(531, default));
}
