using System.Buffers.Binary;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Flows;
using static TrafficSentinel.Engine.Tests.Protocols.OpenVpn.OpenVpnSamples;

namespace TrafficSentinel.Engine.Tests.Detection;

public class OpenVpnDetectorTests
{
    // Packet time of the project captures (net_time 0x6b033c28 = 1795374120).
    private const long Now = 1795374120L * 1_000_000;

    private readonly OpenVpnDetector _detector = new();
    private readonly byte[] _state = new byte[new OpenVpnDetector().StateSize];
    private int _index;
    private readonly uint[] _seq = [1000, 50000];
    private DetectionMatch _match;

    [Fact]
    public void Declares_ProtocolCategoryAndBudget()
    {
        Assert.Equal("openvpn", _detector.Protocol);
        Assert.Equal("vpn", _detector.Category);
        Assert.Equal(DetectorTransports.TcpAndUdp, _detector.Transports);
        Assert.True(_detector.StateSize <= 72);
        Assert.Equal(32, _detector.PacketBudget);
    }

    [Theory]
    [InlineData(PlainClientReset, PlainServerReset, "no HMAC")]
    [InlineData(TlsAuthClientReset, TlsAuthServerReset, "tls-auth HMAC 20 bytes")]
    public void Udp_ServerResetEchoingTheClientSession_MatchesAsSignature(string client, string server, string layout)
    {
        Assert.Equal(DetectorVerdict.Continue, Udp(client, fromClient: true));
        Assert.Equal(DetectorVerdict.Match, Udp(server, fromClient: false));
        Assert.Equal(DetectionMethod.Signature, _match.Method);
        string evidence = _detector.DescribeEvidence(_state, _match);
        Assert.Contains("P_CONTROL_HARD_RESET_CLIENT_V2 → P_CONTROL_HARD_RESET_SERVER_V2, session id", evidence);
        Assert.Contains("echoed", evidence);
        Assert.Contains(layout, evidence);
    }

    [Fact]
    public void Udp_ServerResetEchoingAnotherSession_IsNotAMatch()
    {
        Udp(PlainClientReset, fromClient: true);
        Assert.NotEqual(DetectorVerdict.Match, Udp(PlainServerReset.Replace("39fded2daa10a437", "0102030405060708"), fromClient: false));
    }

    [Fact]
    public void Tcp_ServerResetSplitAtEveryByte_MatchesWhenTheResetIsWholeInOneSegment()
    {
        byte[] client = Framed(TlsAuthClientReset);
        byte[] server = Framed(TlsAuthServerReset);
        for (int cut = 1; cut < server.Length; cut++)
        {
            Reset();
            Assert.Equal(DetectorVerdict.Continue, Tcp(client, fromClient: true));

            // Split inside the length prefix: the PDU is whole in the next segment. Split inside the
            // PDU: its prefix is unreadable (no payload is buffered) and the handshake path waits.
            DetectorVerdict first = Tcp(server[..cut], fromClient: false);
            DetectorVerdict second = first == DetectorVerdict.Continue ? Tcp(server[cut..], fromClient: false) : first;
            Assert.True((cut <= 2 ? DetectorVerdict.Match : DetectorVerdict.Continue) == second, $"cut {cut}: {first} {second}");
        }
    }

    [Fact]
    public void Tcp_ResetSplitInTinySegmentsThenRetransmittedWhole_Matches()
    {
        // openvpn_obfuscated.pcapng's TCP/443 client sends its reset in 9-byte segments, then again.
        byte[] client = Framed(PlainClientReset);
        for (int offset = 0; offset < client.Length; offset += 9)
        {
            Assert.Equal(DetectorVerdict.Continue, Tcp(client[offset..Math.Min(offset + 9, client.Length)], fromClient: true));
        }

        Assert.Equal(DetectorVerdict.Continue, Tcp(client, fromClient: true));
        Assert.Equal(DetectorVerdict.Match, Tcp(Framed(PlainServerReset), fromClient: false));
        Assert.Contains("echoed", _detector.DescribeEvidence(_state, _match));
    }

    [Fact]
    public void Tcp_CoalescedPdusAndRetransmission_AreFramedOnce()
    {
        byte[] client = [.. Framed(TlsAuthClientReset), .. Framed(TlsAuthClientReset.Replace("00000001", "00000002"))];
        Assert.Equal(DetectorVerdict.Continue, Tcp(client, fromClient: true));
        _seq[0] -= (uint)client.Length;
        Assert.Equal(DetectorVerdict.Continue, Tcp(client, fromClient: true)); // retransmitted: ignored
        Assert.Equal(DetectorVerdict.Match, Tcp(Framed(TlsAuthServerReset), fromClient: false));
        Assert.Contains("TCP", _detector.DescribeEvidence(_state, _match));
    }

    [Fact]
    public void Tcp_TlsOnTheOpenVpnPort_IsExcluded()
    {
        // A TLS ClientHello and server flight: 0x1603 is no plausible OpenVPN PDU length.
        byte[] hello = Convert.FromHexString("16030100dd010000d9030150f473e80bb6be8b086186246df225b6737aadedef2dcced3025507f97c390f500");
        byte[] reply = Convert.FromHexString("160303007a0200007603031680920f50");
        DetectorVerdict v = Tcp(hello, fromClient: true);
        v = v == DetectorVerdict.Continue ? Tcp(reply, fromClient: false) : v;
        v = v == DetectorVerdict.Continue ? Tcp(reply, fromClient: false) : v;
        Assert.Equal(DetectorVerdict.Exclude, v);
    }

    [Fact]
    public void Udp_DataChannelWithIncreasingPacketIds_MatchesAsHeuristic()
    {
        DetectorVerdict v = DetectorVerdict.Continue;
        for (uint i = 1; i <= 8 && v == DetectorVerdict.Continue; i++)
        {
            v = Udp(Data(0x48, 5, i), fromClient: true);
            v = v == DetectorVerdict.Continue ? Udp(Data(0x48, 5, i), fromClient: false) : v;
        }

        Assert.Equal(DetectorVerdict.Match, v);
        Assert.Equal(DetectionMethod.Heuristic, _match.Method);
        Assert.Contains("P_DATA_V2 key_id 0 peer-id 5", _detector.DescribeEvidence(_state, _match));
    }

    [Fact]
    public void Udp_DataWithAConstantPacketId_DoesNotMatch()
    {
        for (int i = 0; i < 16; i++)
        {
            Assert.NotEqual(DetectorVerdict.Match, Udp(Data(0x48, 5, 7), fromClient: i % 2 == 0));
        }
    }

    [Fact]
    public void Udp_XorObfuscatedOpcodes_MatchAsHeuristicWithTheKey()
    {
        // First bytes of openvpn_obfuscated.pcapng's UDP flow: resets 4c/34, then control 54 and ack 5c (key 0x74).
        byte[] first = [0x4c, 0x34, 0x54, 0x5c, 0x54, 0x54, 0x5c, 0x54, 0x5c, 0x54, 0x5c];
        DetectorVerdict v = DetectorVerdict.Continue;
        for (int i = 0; i < first.Length && v == DetectorVerdict.Continue; i++)
        {
            byte[] packet = new byte[100];
            new Random(i).NextBytes(packet);
            packet[0] = first[i];
            v = Udp(Convert.ToHexString(packet), fromClient: i is not (1 or 5));
        }

        Assert.Equal(DetectorVerdict.Match, v);
        Assert.Contains("XOR key 74", _detector.DescribeEvidence(_state, _match));
    }

    [Fact]
    public void Udp_RandomPayloads_AreExcludedWithoutMatch()
    {
        var random = new Random(51820);
        for (int flow = 0; flow < 200; flow++)
        {
            Reset();
            DetectorVerdict v = DetectorVerdict.Continue;
            for (int i = 0; i < 32 && v == DetectorVerdict.Continue; i++)
            {
                byte[] packet = new byte[random.Next(1, 300)];
                random.NextBytes(packet);
                v = Udp(Convert.ToHexString(packet), fromClient: random.Next(2) == 0);
            }

            Assert.NotEqual(DetectorVerdict.Match, v);
        }
    }

    [Fact]
    public void TryXorKey_FindsTheKeyOnlyForAClientAndServerResetPair()
    {
        Assert.True(OpenVpnDetector.TryXorKey(0x4c, 0x34, out byte key));
        Assert.Equal(0x74, key);
        Assert.True(OpenVpnDetector.TryXorKey(0x38, 0x40, out key));
        Assert.Equal(0, key);
        Assert.False(OpenVpnDetector.TryXorKey(0x80, 0x80, out _)); // RTP both ways
    }

    private void Reset()
    {
        Array.Clear(_state);
        _index = 0;
        _seq[0] = 1000;
        _seq[1] = 50000;
        _match = default;
    }

    private static byte[] Framed(string hex)
    {
        byte[] pdu = Bytes(hex);
        byte[] framed = new byte[pdu.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)pdu.Length);
        pdu.CopyTo(framed, 2);
        return framed;
    }

    private static string Data(byte first, uint peer, uint packetId)
    {
        byte[] packet = new byte[60];
        packet[0] = first;
        packet[1] = (byte)(peer >> 16);
        packet[2] = (byte)(peer >> 8);
        packet[3] = (byte)peer;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), packetId);
        return Convert.ToHexString(packet);
    }

    private DetectorVerdict Udp(string hex, bool fromClient) => Inspect(Bytes(hex), fromClient, IpProtocol.Udp, 0);

    private DetectorVerdict Tcp(byte[] payload, bool fromClient)
    {
        int d = fromClient ? 0 : 1;
        uint seq = _seq[d];
        _seq[d] += (uint)payload.Length;
        return Inspect(payload, fromClient, IpProtocol.Tcp, seq);
    }

    private DetectorVerdict Inspect(byte[] payload, bool fromClient, byte protocol, uint seq)
    {
        var info = new PacketInfo { Protocol = protocol, TcpSequence = seq, PayloadLength = payload.Length };
        var flow = default(FlowRecord);
        var context = new PacketContext(in info, in flow, payload, fromClient, _index++, Now);
        _match = default;
        return _detector.Inspect(in context, _state, ref _match);
    }
}
