using System.Net;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Protocols.Tor;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Engine.Tests.Protocols.Tor;

public sealed class TorRelayListTests
{
    private static IpAddr Ip(string text) => IpAddr.FromIPAddress(IPAddress.Parse(text));

    [Fact]
    public void Consensus_RLinesAndALines()
    {
        string[] consensus =
        [
            "network-status-version 3",
            "vote-status consensus",
            "r seele AAoQ1DAR6kkoo19hBAX5K0QztNw WYEl7WqDD24zsnIi3NikD+JWeGQ 2024-10-21 08:37:51 104.53.221.159 9001 0",
            "a [2600:1700:4a0:8000::2]:9001",
            "s Running Stable V2Dir Valid",
            "w Bandwidth=1300",
            "r moria1 lpXfw1/+uGEym58asExGOXAgzjE 2024-10-21 08:00:00 128.31.0.39 9101 9131", // microdescriptor form, no digest
            "directory-footer",
        ];
        TorRelayList list = TorRelayList.Parse(consensus);
        Assert.Equal(3, list.Count);
        Assert.True(list.Contains(Ip("104.53.221.159"), 9001));
        Assert.False(list.Contains(Ip("104.53.221.159"), 443));
        Assert.True(list.Contains(Ip("2600:1700:4a0:8000::2"), 9001));
        Assert.True(list.Contains(Ip("128.31.0.39"), 9101));
        Assert.False(list.Contains(Ip("128.31.0.40"), 9101));
    }

    [Fact]
    public void PlainList_AddressesPortsCommentsAndIpv6()
    {
        string[] lines =
        [
            "# exit list",
            "",
            "185.220.101.1",
            "185.220.101.2:443   # with a port",
            "[2001:db8::1]:9001",
            "2001:db8::2",
        ];
        TorRelayList list = TorRelayList.Parse(lines);
        Assert.Equal(4, list.Count);
        Assert.True(list.Contains(Ip("185.220.101.1"), 1234)); // no port listed: every port
        Assert.False(list.Contains(Ip("185.220.101.1"), 1234, exactPortOnly: true));
        Assert.True(list.Contains(Ip("185.220.101.2"), 443));
        Assert.False(list.Contains(Ip("185.220.101.2"), 9001));
        Assert.True(list.Contains(Ip("2001:db8::1"), 9001));
        Assert.True(list.Contains(Ip("2001:db8::2"), 1));
        Assert.False(list.Contains(Ip("2001:db8::3"), 1));
        Assert.False(list.Contains(Ip("::ffff:185.220.101.3"), 1));
    }

    [Fact]
    public void Duplicates_AreStoredOnce()
    {
        TorRelayList list = TorRelayList.Parse(["10.0.0.1:9001", "10.0.0.1:9001", "10.0.0.1:443", "10.0.0.1:9001"]);
        Assert.Equal(2, list.Count);
        Assert.True(list.Contains(Ip("10.0.0.1"), 443));
    }

    [Theory]
    [InlineData("1.2")] // IPAddress.TryParse would take it as 1.0.0.2
    [InlineData("10.0.0.1:")]
    [InlineData("10.0.0.1:70000")]
    [InlineData("10.0.0.1:0")]
    [InlineData("[2001:db8::1]x")]
    [InlineData("relay.example.org")]
    public void PlainList_BadLine_NamesTheLine(string bad)
    {
        FormatException e = Assert.Throws<FormatException>(() => TorRelayList.Parse(["10.0.0.1", bad], "relays.txt"));
        Assert.StartsWith("relays.txt:2:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Consensus_MalformedRLine_Throws() =>
        Assert.Throws<FormatException>(() => TorRelayList.Parse(["r nick id 2024-10-21 08:00:00 999.1.1.1 9001 0"]));

    [Fact]
    public void Load_ReadsAFile()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["# test", "192.0.2.7:9001"]);
            TorRelayList list = TorRelayList.Load(path);
            Assert.True(list.Contains(Ip("192.0.2.7"), 9001));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Contains_AllocatesNothing()
    {
        TorRelayList list = TorRelayList.Parse(["192.0.2.7:9001", "192.0.2.8"]);
        IpAddr a = Ip("192.0.2.8");
        list.Contains(a, 1);
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                list.Contains(a, (ushort)i);
            }
        }));
    }
}
