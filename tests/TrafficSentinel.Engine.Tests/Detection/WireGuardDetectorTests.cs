using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Tests.Protocols.WireGuard;

namespace TrafficSentinel.Engine.Tests.Detection;

public class WireGuardDetectorTests
{
    private const bool Client = true;
    private const bool Server = false;

    [Fact]
    public void Declaration_FitsTheBudgetAndNamesTheClass()
    {
        var detector = new WireGuardDetector();
        Assert.Equal("wireguard", detector.Protocol);
        Assert.Equal("vpn", detector.Category);
        Assert.Equal(DetectorTransports.Udp, detector.Transports);
        Assert.True(detector.StateSize <= 40);
        Assert.Equal(Unsafe.SizeOf<WireGuardDetector.WireGuardFlowState>(), detector.StateSize);
        Assert.Equal(32, detector.PacketBudget);
    }

    [Fact]
    public void Handshake_InitiationThenEchoingResponse_MatchesOnTheResponse()
    {
        var flow = new Flow();
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, WireGuardMessageTests.Initiation));
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, WireGuardMessageTests.Response));

        Assert.Equal(DetectionMethod.Signature, flow.Match.Method);
        Assert.Equal(0.99f, flow.Match.Confidence);
        Assert.Equal(
            "WireGuard handshake: initiation from client with sender index 0x30d037d8 → response from server with receiver index 0x30d037d8 (echoed), sender index 0xab7df406; mac2 zero",
            flow.Evidence());
    }

    [Fact]
    public void Handshake_ResponseToAnotherIndex_DoesNotMatch()
    {
        var flow = new Flow();
        byte[] response = (byte[])WireGuardMessageTests.Response.Clone();
        response[8] ^= 0xff;
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, WireGuardMessageTests.Initiation));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Server, response));
    }

    [Fact]
    public void Handshake_ResponseFromTheInitiatorsOwnSide_DoesNotMatch()
    {
        var flow = new Flow();
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, WireGuardMessageTests.Initiation));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, WireGuardMessageTests.Response));
    }

    [Fact]
    public void Handshake_Mac2Set_StillMatchesWithLowerConfidenceAndSaysSo()
    {
        var flow = new Flow();
        byte[] init = (byte[])WireGuardMessageTests.Initiation.Clone();
        init[147] = 1;
        flow.Feed(Client, init);
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, WireGuardMessageTests.Response));
        Assert.Equal(0.97f, flow.Match.Confidence);
        Assert.EndsWith("; mac2 set (cookie in use)", flow.Evidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void Handshake_CookieReplyToTheInitiation_Matches()
    {
        var flow = new Flow();
        byte[] cookie = new byte[64];
        cookie[0] = 3;
        BinaryPrimitives.WriteUInt32LittleEndian(cookie.AsSpan(4), 0x30d037d8);
        flow.Feed(Client, WireGuardMessageTests.Initiation);
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, cookie));
        Assert.Contains("cookie reply (64 B) from server", flow.Evidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void Handshake_ResponseMissed_TransportToTheInitiatorsIndex_Matches()
    {
        var flow = new Flow();
        flow.Feed(Client, WireGuardMessageTests.Initiation);
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, Transport(0x30d037d8, 0, 96)));
        Assert.Equal(DetectionMethod.Signature, flow.Match.Method);
        Assert.Equal(
            "WireGuard: handshake initiation from client with sender index 0x30d037d8 → transport data from server to receiver index 0x30d037d8 (counter 0)",
            flow.Evidence());
    }

    [Fact]
    public void Warp_ResponseIndexAndRoutingIdEchoedByTheInitiator_Matches()
    {
        var flow = new Flow();
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, WireGuardMessageTests.WarpInitiation));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Server, WireGuardMessageTests.WarpResponse));
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Client, WireGuardMessageTests.WarpTransport));
        Assert.Equal(DetectionMethod.Signature, flow.Match.Method);
        Assert.StartsWith("Cloudflare WARP WireGuard (types 0xc1-0xc4): 0xc2 response from server", flow.Evidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void Warp_TransportWithAnotherRoutingId_DoesNotMatch()
    {
        var flow = new Flow();
        byte[] transport = (byte[])WireGuardMessageTests.WarpTransport.Clone();
        transport[2] ^= 1;
        flow.Feed(Client, WireGuardMessageTests.WarpInitiation);
        flow.Feed(Server, WireGuardMessageTests.WarpResponse);
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, transport));
    }

    [Fact]
    public void Warp_ResponseWithZeroRoutingId_IsQuicNotWarp()
    {
        // QUIC v1 long headers start c0–cf then version 00 00 00 01: bytes 1–3 are zero.
        var flow = new Flow();
        byte[] response = (byte[])WireGuardMessageTests.WarpResponse.Clone();
        response[1] = response[2] = response[3] = 0;
        flow.Feed(Client, WireGuardMessageTests.WarpInitiation);
        Assert.Equal(DetectorVerdict.Exclude, flow.Feed(Server, response));
    }

    [Fact]
    public void Dialects_StandardThenWarp_Excludes()
    {
        var flow = new Flow();
        flow.Feed(Client, WireGuardMessageTests.Initiation);
        Assert.Equal(DetectorVerdict.Exclude, flow.Feed(Server, WireGuardMessageTests.WarpResponse));
    }

    [Fact]
    public void TunnelBear_204And100ByteHandshake_MatchesAndNamesTheSizes()
    {
        byte[] init = new byte[204];
        init[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(init.AsSpan(4), 0x11223344);
        byte[] resp = new byte[100];
        resp[0] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(resp.AsSpan(4), 0x55667788);
        BinaryPrimitives.WriteUInt32LittleEndian(resp.AsSpan(8), 0x11223344);
        var flow = new Flow();
        flow.Feed(Client, init);
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, resp));
        Assert.StartsWith("WireGuard, TunnelBear sizes (204/100 B handshake) handshake:", flow.Evidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void TransportOnly_BothDirectionsConsistent_MatchesHeuristicallyAtTheSixthPacket()
    {
        var flow = new Flow();
        uint c = 100, s = 40;
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Transport(0xaaaa0001, c++, 128)));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Server, Transport(0xbbbb0002, s++, 96)));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Transport(0xaaaa0001, c++, 32)));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Server, Transport(0xbbbb0002, s++, 1452 - 12)));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Transport(0xaaaa0001, c++, 80)));
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, Transport(0xbbbb0002, s + 5, 80)));

        Assert.Equal(DetectionMethod.Heuristic, flow.Match.Method);
        Assert.Equal(0.85f, flow.Match.Confidence);
        Assert.Equal(
            "WireGuard transport data, handshake not in view: client→server 3 packets to receiver index 0xaaaa0001, counter increasing to 102; server→client 3 packets to receiver index 0xbbbb0002, counter increasing to 47; every length 32+16k",
            flow.Evidence());
    }

    [Fact]
    public void TransportOnly_OneDirection_NeedsTenPackets()
    {
        var flow = new Flow();
        for (uint i = 0; i < 9; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, flow.Feed(Server, Transport(7, i, 128)));
        }

        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, Transport(7, 9, 128)));
        Assert.Equal(0.65f, flow.Match.Confidence);
    }

    [Fact]
    public void TransportOnly_ConstantCounter_NeverMatches()
    {
        var flow = new Flow();
        for (int i = 0; i < 31; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, flow.Feed(i % 2 == 0, Transport(i % 2 == 0 ? 1u : 2u, 5, 64)));
        }
    }

    [Fact]
    public void TransportOnly_IndexChangingEveryPacket_Excludes()
    {
        var flow = new Flow();
        DetectorVerdict last = DetectorVerdict.Continue;
        for (uint i = 0; i < 12 && last == DetectorVerdict.Continue; i++)
        {
            last = flow.Feed(Client, Transport(0x1000 + i, i, 64));
        }

        Assert.Equal(DetectorVerdict.Exclude, last);
    }

    [Fact]
    public void TransportOnly_CounterGoingBackFar_Excludes()
    {
        var flow = new Flow();
        DetectorVerdict last = flow.Feed(Client, Transport(1, 1_000_000, 64));
        for (int i = 0; i < 12 && last == DetectorVerdict.Continue; i++)
        {
            last = flow.Feed(Client, Transport(1, (uint)(i % 2 == 0 ? 10 : 1_000_000), 64));
        }

        Assert.Equal(DetectorVerdict.Exclude, last);
    }

    [Fact]
    public void TransportOnly_ReorderedPacket_IsToleratedNotCounted()
    {
        var flow = new Flow();
        flow.Feed(Client, Transport(1, 10, 64));
        flow.Feed(Server, Transport(2, 10, 64));
        flow.Feed(Client, Transport(1, 12, 64));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Transport(1, 11, 64)));
        flow.Feed(Server, Transport(2, 11, 64));
        flow.Feed(Client, Transport(1, 13, 64));
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, Transport(2, 12, 64)));
    }

    [Fact]
    public void TransportOnly_Unpadded_NeedsTwiceTheEvidence()
    {
        var flow = new Flow();
        uint n = 0;
        for (int i = 0; i < 11; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, flow.Feed(i % 2 == 0, Transport(i % 2 == 0 ? 1u : 2u, n, 84)));
            n += (uint)(i % 2);
        }

        Assert.Equal(DetectorVerdict.Match, flow.Feed(Server, Transport(2, 6, 84)));
        Assert.Equal(0.75f, flow.Match.Confidence);
        Assert.Contains("unpadded", flow.Evidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void TransportOnly_CounterBeyond32Bits_IsNotEvidence()
    {
        var flow = new Flow();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Transport(1, (1UL << 32) + (ulong)i, 64)));
        }

        Assert.Equal(DetectorVerdict.Exclude, flow.Feed(Client, Transport(1, (1UL << 32) + 9, 64)));
    }

    [Fact]
    public void Tailscale_DiscoMessagesAreToleratedAndReported()
    {
        var flow = new Flow();
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, WireGuardMessageTests.Disco));
        uint c = 0, s = 0;
        for (int i = 0; i < 2; i++)
        {
            flow.Feed(Server, Transport(9, s++, 128));
            flow.Feed(Client, Transport(8, c++, 128));
            flow.Feed(Server, WireGuardMessageTests.Disco);
        }

        flow.Feed(Server, Transport(9, s++, 128));
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Client, Transport(8, c, 128)));
        Assert.EndsWith("; 3 Tailscale disco message(s) on the same flow", flow.Evidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnansweredInitiations_ThreeWithFreshIndexes_MatchHeuristically()
    {
        var flow = new Flow();
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Initiation(1)));
        Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Initiation(2)));
        Assert.Equal(DetectorVerdict.Match, flow.Feed(Client, Initiation(3)));
        Assert.Equal(DetectionMethod.Heuristic, flow.Match.Method);
        Assert.Equal(
            "WireGuard: 3 handshake initiations from client with distinct sender indexes (last 0x00000003), no answer: peer unreachable or blocked; mac2 zero",
            flow.Evidence());
    }

    [Fact]
    public void UnansweredInitiations_SameIndexRepeated_IsNotEvidence()
    {
        var flow = new Flow();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, flow.Feed(Client, Initiation(1)));
        }
    }

    [Theory]
    [InlineData("17155cd52bbccfabda4e409b")]
    [InlineData("0100000000")]
    [InlineData("04000001aaaaaaaa0000000000000000000000000000000000000000000000000000")]
    public void NotWireGuard_FirstPacket_Excludes(string hex)
    {
        byte[] payload = Convert.FromHexString(hex.PadRight(200, '0'));
        Assert.Equal(DetectorVerdict.Exclude, new Flow().Feed(Client, payload));
    }

    [Fact]
    public void NotWireGuard_AfterGoodPackets_Excludes()
    {
        var flow = new Flow();
        flow.Feed(Client, WireGuardMessageTests.Initiation);
        Assert.Equal(DetectorVerdict.Exclude, flow.Feed(Server, new byte[92]));
    }

    [Fact]
    public void RandomPayloads_NeverMatchNorThrow()
    {
        var random = new Random(1);
        for (int f = 0; f < 2000; f++)
        {
            var flow = new Flow();
            for (int p = 0; p < 32; p++)
            {
                byte[] payload = new byte[random.Next(1, 1400)];
                random.NextBytes(payload);
                if (random.Next(3) == 0)
                {
                    // Give it WireGuard's 4-byte header sometimes, so deeper paths run.
                    payload[0] = (byte)random.Next(1, 5);
                    payload[1] = payload[2] = payload[3] = 0;
                }

                DetectorVerdict v = flow.Feed(random.Next(2) == 0, payload);
                Assert.NotEqual(DetectorVerdict.Match, v);
                if (v == DetectorVerdict.Exclude)
                {
                    break;
                }
            }
        }
    }

    private static byte[] Transport(uint receiver, ulong counter, int length)
    {
        byte[] data = new byte[length];
        data[0] = 4;
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), receiver);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), counter);
        for (int i = 16; i < length; i++)
        {
            data[i] = (byte)(i * 37);
        }

        return data;
    }

    private static byte[] Initiation(uint sender)
    {
        byte[] data = (byte[])WireGuardMessageTests.Initiation.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), sender);
        return data;
    }

    /// <summary>One flow's detector state, fed payloads directly.</summary>
    private sealed class Flow
    {
        private readonly WireGuardDetector _detector = new();
        private readonly byte[] _state;
        private int _index;
        private DetectionMatch _match;

        public Flow() => _state = new byte[_detector.StateSize];

        public DetectionMatch Match => _match;

        public DetectorVerdict Feed(bool fromClient, byte[] payload)
        {
            PacketInfo info = default;
            FlowRecord record = default;
            var context = new PacketContext(in info, in record, payload, fromClient, _index++, 0);
            _match = default;
            return _detector.Inspect(in context, _state, ref _match);
        }

        public string Evidence() => _detector.DescribeEvidence(_state, in _match);
    }
}
