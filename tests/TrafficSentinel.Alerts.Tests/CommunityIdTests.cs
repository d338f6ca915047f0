using System.Net;

namespace TrafficSentinel.Alerts.Tests;

/// <summary>
/// Vectors from corelight/community-id-spec baseline/baseline_deflt.json (seed 0) and
/// baseline_seed1.json (seed 1). The baselines give each packet's addresses and, for ICMP, type
/// and code (or the mapped counterpart, which hashes the same).
/// </summary>
public class CommunityIdTests
{
    public static TheoryData<byte, string, string, int, int, string> DefaultSeed => new()
    {
        // TCP, both directions
        { 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        { 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        // UDP
        { 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        { 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        // ICMP echo request and its reply
        { 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        { 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        // ICMP time exceeded: one-way
        { 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
        // IPv6 TCP
        { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        { 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        // SCTP, equal ports
        { 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        { 132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        // RSVP (46): no ports
        { 46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        { 46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        // ICMPv6 neighbour solicitation/advertisement, both pairs
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        // ICMPv6 one-way: destination unreachable (1/4) and time exceeded (3/0)
        { 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
        { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
        // ICMPv6 echo request/reply
        { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        { 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        // ICMPv6 router solicitation / advertisement to multicast groups
        { 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
        { 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
    };

    public static TheoryData<byte, string, string, int, int, string> SeedOne => new()
    {
        { 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
        { 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
        { 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
        { 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
        { 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
        { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
        { 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
        { 46, "10.1.12.1", "10.1.12.2", 0, 0, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
        { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
        { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=" },
    };

    [Theory]
    [MemberData(nameof(DefaultSeed))]
    public void Matches_spec_baseline_with_default_seed(byte proto, string src, string dst, int sport, int dport, string expected) =>
        Assert.Equal(expected, CommunityId.Compute(IPAddress.Parse(src), IPAddress.Parse(dst), (ushort)sport, (ushort)dport, proto));

    [Theory]
    [MemberData(nameof(SeedOne))]
    public void Matches_spec_baseline_with_seed_one(byte proto, string src, string dst, int sport, int dport, string expected) =>
        Assert.Equal(expected, CommunityId.Compute(IPAddress.Parse(src), IPAddress.Parse(dst), (ushort)sport, (ushort)dport, proto, seed: 1));

    [Fact]
    public void Echo_reply_given_as_type_and_code_hashes_like_its_request()
    {
        // The reply packet really carries type 0, code 0; the mapping supplies the counterpart.
        string request = CommunityId.Compute(IPAddress.Parse("192.168.0.89"), IPAddress.Parse("192.168.0.1"), 8, 0, IpProtocols.Icmp);
        string reply = CommunityId.Compute(IPAddress.Parse("192.168.0.1"), IPAddress.Parse("192.168.0.89"), 0, 0, IpProtocols.Icmp);
        Assert.Equal(request, reply);
    }

    [Fact]
    public void One_way_icmp_is_not_symmetric()
    {
        string forward = CommunityId.Compute(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), 11, 0, IpProtocols.Icmp);
        string backward = CommunityId.Compute(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1"), 11, 0, IpProtocols.Icmp);
        Assert.NotEqual(forward, backward);
    }

    [Fact]
    public void Ports_are_ignored_for_portless_protocols()
    {
        string withPorts = CommunityId.Compute(IPAddress.Parse("10.1.12.1"), IPAddress.Parse("10.1.12.2"), 1234, 5678, 46);
        Assert.Equal("1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", withPorts);
    }

    [Fact]
    public void Flow_overload_uses_client_and_server()
    {
        var flow = new FlowEndpoints(IPAddress.Parse("66.35.250.204"), 80, IPAddress.Parse("128.232.110.120"), 34855, IpProtocols.Tcp);
        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", CommunityId.Compute(flow));
    }

    [Fact]
    public void Mixed_address_families_are_rejected() =>
        Assert.Throws<ArgumentException>(() => CommunityId.Compute(IPAddress.Loopback, IPAddress.IPv6Loopback, 1, 2, IpProtocols.Tcp));
}
