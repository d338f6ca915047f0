using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace TrafficSentinel.Engine.Tests;

/// <summary>Builds real packet bytes with PacketDotNet, then wraps them in each link layer by hand.</summary>
internal static class TestPackets
{
    private static readonly PhysicalAddress s_macA = PhysicalAddress.Parse("02-00-00-00-00-01");
    private static readonly PhysicalAddress s_macB = PhysicalAddress.Parse("02-00-00-00-00-02");

    public static byte[] Ipv4Tcp(string src, ushort sport, string dst, ushort dport, byte[] payload, bool syn = false, bool ack = true, bool fin = false, bool rst = false)
    {
        var tcp = new TcpPacket(sport, dport)
        {
            Synchronize = syn,
            Acknowledgment = ack,
            Finished = fin,
            Reset = rst,
            SequenceNumber = 1000,
            AcknowledgmentNumber = ack ? 2000u : 0u,
            WindowSize = 65535,
            PayloadData = payload,
        };
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, PayloadPacket = tcp };
        tcp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }

    public static byte[] Ipv4Udp(string src, ushort sport, string dst, ushort dport, byte[] payload)
    {
        var udp = new UdpPacket(sport, dport) { PayloadData = payload };
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }

    public static byte[] Ipv6Udp(string src, ushort sport, string dst, ushort dport, byte[] payload)
    {
        var udp = new UdpPacket(sport, dport) { PayloadData = payload };
        var ip = new IPv6Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { HopLimit = 64, PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }

    public static byte[] Ipv6Tcp(string src, ushort sport, string dst, ushort dport, byte[] payload)
    {
        var tcp = new TcpPacket(sport, dport) { Acknowledgment = true, PayloadData = payload, WindowSize = 1000 };
        var ip = new IPv6Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { HopLimit = 64, PayloadPacket = tcp };
        tcp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ip.Bytes;
    }

    /// <summary>An Ethernet frame around an IP packet, built by PacketDotNet.</summary>
    public static byte[] Ethernet(byte[] ip)
    {
        bool v6 = ip[0] >> 4 == 6;
        var eth = new EthernetPacket(s_macA, s_macB, v6 ? EthernetType.IPv6 : EthernetType.IPv4)
        {
            PayloadData = ip,
        };
        return eth.Bytes;
    }

    /// <summary>Ethernet with a stack of VLAN tags (outermost first) before the IP ethertype.</summary>
    public static byte[] EthernetVlan(byte[] ip, params (ushort Tpid, ushort Vid)[] tags)
    {
        var frame = new List<byte>();
        frame.AddRange(s_macB.GetAddressBytes());
        frame.AddRange(s_macA.GetAddressBytes());
        foreach ((ushort tpid, ushort vid) in tags)
        {
            frame.AddRange(Be16(tpid));
            frame.AddRange(Be16(vid));
        }

        frame.AddRange(Be16(ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800));
        frame.AddRange(ip);
        return [.. frame];
    }

    /// <summary>Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol.</summary>
    public static byte[] Sll(byte[] ip)
    {
        byte[] header = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(header, 0);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 6);
        s_macA.GetAddressBytes().CopyTo(header, 6);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        return [.. header, .. ip];
    }

    /// <summary>Linux cooked v2: protocol first, then reserved, ifindex, ARPHRD, type, address.</summary>
    public static byte[] Sll2(byte[] ip)
    {
        byte[] header = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(header, ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), 1);
        header[10] = 4;
        header[11] = 6;
        s_macA.GetAddressBytes().CopyTo(header, 12);
        return [.. header, .. ip];
    }

    /// <summary>BSD loopback: the address family in host (little-endian here) or network order.</summary>
    public static byte[] Null(byte[] ip, uint family, bool bigEndian)
    {
        byte[] header = new byte[4];
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, family);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header, family);
        }

        return [.. header, .. ip];
    }

    public static byte[] Be16(int value) => [(byte)(value >> 8), (byte)value];
}
