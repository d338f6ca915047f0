using System.Text;
using TrafficSentinel.Engine.Decoding;
using TrafficSentinel.Engine.Detection;
using TrafficSentinel.Engine.Detection.Detectors;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Tests.Protocols.Tls;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Engine.Tests.Detection;

public sealed class TorDetectorTests
{
    private static byte[] ClientHello => TorPcapBytes.ClientHelloRecord;

    private static byte[] ServerFlight => TorPcapBytes.ServerFlight;

    [Fact]
    public void Declarations()
    {
        var d = new TorDetector();
        Assert.Equal("tor", d.Protocol);
        Assert.Equal("anonymizer", d.Category);
        Assert.Equal(DetectorTransports.Tcp, d.Transports);
        Assert.Equal(62, d.StateSize);
        Assert.True(d.WantsFlowEnd);
        Assert.Equal(TorDetector.DefaultReassemblySlots, d.ReassemblyPool.SlotCount);
    }

    [Fact]
    public void TorPcapHandshake_MatchesOnTheRelayCertificate()
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello));
        Assert.Equal(DetectorVerdict.Match, h.Server(ServerFlight));
        Assert.Equal(DetectionMethod.Signature, h.Match.Method);
        Assert.Equal(0.95f, h.Match.Confidence);
        Assert.Equal(
            "Tor link handshake: client SNI www.t3i3ru.com (random base32, 6 chars); relay link certificate CN=www.<14 random base32>.net "
            + "issued by CN=www.<14 random base32>.com, CN-only names, valid 74 days",
            h.Describe());
    }

    [Fact]
    public void ClientHelloSplitOverThreeSegments_IsReassembledInAPoolSlot_ThenReleased()
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello.AsSpan(0, 3).ToArray())); // a split record header
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello.AsSpan(3, 60).ToArray()));
        Assert.Equal(1, h.Detector.ReassemblyPool.InUse);
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello.AsSpan(63).ToArray()));
        Assert.Equal(0, h.Detector.ReassemblyPool.InUse);
        Assert.Equal(DetectorVerdict.Match, h.Server(ServerFlight));
    }

    [Fact]
    public void Retransmissions_AreIgnored_OverlapsTrimmed()
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello.AsSpan(0, 100).ToArray()));
        Assert.Equal(DetectorVerdict.Continue, h.ClientAt(0, ClientHello.AsSpan(0, 100).ToArray())); // full retransmission
        Assert.Equal(DetectorVerdict.Continue, h.ClientAt(50, ClientHello.AsSpan(50).ToArray())); // overlap: the rest, resent from byte 50
        Assert.Equal(DetectorVerdict.Match, h.Server(ServerFlight));
    }

    [Fact]
    public void GapInTheClientHello_GivesUpCleanly()
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello.AsSpan(0, 100).ToArray()));
        Assert.Equal(DetectorVerdict.Exclude, h.ClientAt(150, ClientHello.AsSpan(150).ToArray()));
        Assert.Equal(0, h.Detector.ReassemblyPool.InUse);
    }

    [Fact]
    public void PoolExhausted_SplitClientHello_IsCountedAndExcluded()
    {
        var h = new Harness(new TorDetector(reassemblySlots: 0));
        Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello.AsSpan(0, 100).ToArray()));
        Assert.Equal(DetectorVerdict.Exclude, h.Client(ClientHello.AsSpan(100).ToArray()));
        Assert.Equal(1, h.Detector.ReassemblyPool.Exhausted);
        Assert.Equal(1, h.Detector.ReassemblyFailures);
    }

    [Fact]
    public void ServerFlightSplitAtEveryOffset_StillMatches()
    {
        for (int cut = 1; cut < ServerFlight.Length; cut++)
        {
            var h = new Harness();
            Assert.Equal(DetectorVerdict.Continue, h.Client(ClientHello));
            DetectorVerdict first = h.Server(ServerFlight.AsSpan(0, cut).ToArray());
            DetectorVerdict verdict = first == DetectorVerdict.Continue ? h.Server(ServerFlight.AsSpan(cut).ToArray()) : first;
            Assert.True(verdict == DetectorVerdict.Match, $"cut at {cut}: {first}/{verdict}");
            Assert.Equal(0, h.Detector.ReassemblyPool.InUse);
        }
    }

    [Fact]
    public void FlowEndingMidReassembly_ReleasesTheSlot()
    {
        var h = new Harness();
        h.Client(ClientHello.AsSpan(0, 100).ToArray());
        Assert.Equal(1, h.Detector.ReassemblyPool.InUse);
        h.Detector.OnFlowEnded(h.State);
        Assert.Equal(0, h.Detector.ReassemblyPool.InUse);
        h.Detector.OnFlowEnded(h.State); // twice is harmless
        Assert.Equal(0, h.Detector.ReassemblyPool.InUse);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    public void NotTls_IsExcludedOnTheFirstPacket(string payload)
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Exclude, h.Client(Encoding.ASCII.GetBytes(payload)));
    }

    [Fact]
    public void ServerSpeaksFirst_IsExcluded()
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Exclude, h.Server(ServerFlight));
    }

    [Theory]
    [InlineData("www.my-site.com")]
    [InlineData("api.t3i3ru.com")]
    [InlineData("www.t3i3ru.org")]
    public void NonTorSni_IsExcludedAtTheClientHello(string sni)
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Exclude, h.Client(Record(22, Handshake(1, TlsHelloTests.Tls13ClientHelloBody(sni)))));
    }

    [Fact]
    public void TorShapedSni_WithAnOrdinaryCertificate_IsExcluded()
    {
        // www.example.com fits the SNI shape; the certificate does not: subject .org instead of .net.
        byte[] flight = (byte[])ServerFlight.Clone();
        int net = flight.AsSpan().IndexOf("7d43ah2kikrabj.net"u8) + "7d43ah2kikrabj.".Length;
        "org"u8.CopyTo(flight.AsSpan(net));
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Continue, h.Client(Record(22, Handshake(1, TlsHelloTests.Tls13ClientHelloBody("www.example.com")))));
        Assert.Equal(DetectorVerdict.Exclude, h.Server(flight));
    }

    [Fact]
    public void Tls13_CellQuantisedRecordsBothWays_Match()
    {
        var h = new Harness();
        Assert.Equal(DetectorVerdict.Continue, h.Client(Record(22, Handshake(1, TlsHelloTests.Tls13ClientHelloBody("www.soi3soyvavptzfurtkwm5igtp.com")))));
        Assert.Equal(DetectorVerdict.Continue, h.Server([.. Record(22, Handshake(2, Tls13ServerHello)), .. Record(20, [1]), .. Record(23, new byte[601])]));
        Assert.Equal(DetectorVerdict.Continue, h.Client([.. Record(20, [1]), .. Record(23, new byte[69])]));
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, h.Server(Record(23, new byte[531])));
            Assert.Equal(DetectorVerdict.Continue, h.Client(Record(23, new byte[1045])));
        }

        Assert.Equal(DetectorVerdict.Continue, h.Server(Record(23, new byte[531])));
        Assert.Equal(DetectorVerdict.Match, h.Client(Record(23, new byte[531])));
        Assert.Equal(0.9f, h.Match.Confidence);
        Assert.Equal(
            "Tor link handshake: client SNI www.soi3soyvavptzfurtkwm5igtp.com (random base32, 25 chars); TLS 1.3 (certificate encrypted); "
            + "records of whole 514-byte cells (1 cell = 531 bytes on the wire): 3 from client, 3 from server",
            h.Describe());
    }

    [Fact]
    public void Tls13_TorShapedSni_OrdinaryRecordSizes_NeverMatch()
    {
        var h = new Harness();
        h.Client(Record(22, Handshake(1, TlsHelloTests.Tls13ClientHelloBody("www.google.com"))));
        h.Server(Record(22, Handshake(2, Tls13ServerHello)));
        for (int i = 0; i < 14; i++)
        {
            Assert.Equal(DetectorVerdict.Continue, h.Client(Record(23, new byte[100 + i])));
            Assert.Equal(DetectorVerdict.Continue, h.Server(Record(23, new byte[16401])));
        }
    }

    [Fact]
    public void Inspect_AllocatesNothing()
    {
        byte[][] client = [ClientHello.AsSpan(0, 100).ToArray(), ClientHello.AsSpan(100).ToArray()];
        var h = new Harness();
        h.Client(client[0]);
        h.Client(client[1]);
        h.Server(ServerFlight);
        h.Reset();
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                h.Client(client[0]);
                h.Client(client[1]);
                h.Server(ServerFlight);
                h.Reset();
            }
        }));
    }

    /// <summary>legacy 0x0303, random, empty session id, TLS_AES_128_GCM_SHA256, null compression, supported_versions 1.3.</summary>
    private static byte[] Tls13ServerHello => [0x03, 0x03, .. new byte[32], 0x00, 0x13, 0x01, 0x00, 0x00, 0x06, 0x00, 0x2B, 0x00, 0x02, 0x03, 0x04];

    private static byte[] Handshake(byte type, byte[] body) => [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] Record(byte type, byte[] fragment) => [type, 0x03, 0x03, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];

    /// <summary>Feeds one flow's packets to a detector the way the engine does, tracking sequence numbers per direction.</summary>
    private sealed class Harness
    {
        private const uint ClientIsn = 0xFFFF_FF00; // wraps during the test
        private const uint ServerIsn = 5000;
        private readonly byte[] _state;
        private FlowRecord _flow;
        private uint _clientNext = ClientIsn;
        private uint _serverNext = ServerIsn;
        private int _index;

        public Harness(TorDetector? detector = null)
        {
            Detector = detector ?? new TorDetector();
            _state = new byte[Detector.StateSize];
            _flow.Flags = FlowFlags.ClientIsA;
        }

        public TorDetector Detector { get; }

        public DetectionMatch Match;

        public Span<byte> State => _state;

        public DetectorVerdict Client(byte[] payload) => Send(true, _clientNext, payload);

        public DetectorVerdict ClientAt(int streamOffset, byte[] payload) => Send(true, ClientIsn + (uint)streamOffset, payload);

        public DetectorVerdict Server(byte[] payload) => Send(false, _serverNext, payload);

        /// <summary>A new flow: state zeroed (after the end-of-flow hook), sequence numbers back to the start.</summary>
        public void Reset()
        {
            Detector.OnFlowEnded(_state);
            Array.Clear(_state);
            _clientNext = ClientIsn;
            _serverNext = ServerIsn;
            _index = 0;
        }

        public string Describe() => Detector.DescribeEvidence(_state, Match);

        private DetectorVerdict Send(bool fromClient, uint sequence, byte[] payload)
        {
            var info = new PacketInfo { Protocol = IpProtocol.Tcp, TcpSequence = sequence, PayloadLength = payload.Length };
            if (fromClient)
            {
                _clientNext = Math.Max(_clientNext - ClientIsn, sequence - ClientIsn + (uint)payload.Length) + ClientIsn;
            }
            else
            {
                _serverNext = Math.Max(_serverNext, sequence + (uint)payload.Length);
            }

            var context = new PacketContext(in info, in _flow, payload, fromClient, _index++, 0);
            Match = default;
            return Detector.Inspect(in context, _state, ref Match);
        }
    }
}
