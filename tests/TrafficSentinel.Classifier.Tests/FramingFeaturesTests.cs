using TrafficSentinel.Capture;
using TrafficSentinel.Engine.Features;
using TrafficSentinel.TestSupport;

namespace TrafficSentinel.Classifier.Tests;

/// <summary>The protocol-framing features of schema v2 and v3 (37–48): hand-built payloads with known shares, and real mid-flow tunnel captures whose wire formats fix what they must show.</summary>
public sealed class FramingFeaturesTests
{
    private static int F(string name)
    {
        int i = FeatureSchema.Names.ToList().IndexOf(name);
        Assert.True(i >= 0, name);
        return i;
    }

    private static byte[] Bytes(int length, params byte[] head)
    {
        byte[] payload = new byte[length];
        head.CopyTo(payload, 0);
        return payload;
    }

    [Fact]
    public void HandBuiltPayloads_GiveExactShares()
    {
        byte[] tls = Bytes(536, 0x17, 0x03, 0x03, 0x02, 0x13);                        // one TLS 1.3 record of 531 = 514 + 17 bytes: a Tor cell
        byte[][] toServer =
        [
            Bytes(16, 0x04, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0x05, 0x00),             // WireGuard-like, LE counter 5 at offset 8
            Bytes(16, 0x04, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0x06, 0x00),             // same head, counter 6: LE8 step, same size
            Bytes(20, 0x00, 0x12, 0x48, 0x00, 0, 0, 0, 0, 0x00, 0x07),                // length prefix 18 = 20 − 2; nothing repeats
            Bytes(20, 0x00, 0x12, 0x48, 0x00, 0, 0, 0, 0, 0x00, 0x08),                // same 4 bytes, BE counter at 6 steps 7 → 8, same size
        ];
        byte[][] toClient =
        [
            Bytes(16, 0x17, 0x03, 0x03, 0x00, 0x0B),                                  // one TLS record of 11 = 16 − 5 bytes
            Bytes(20, 0x17, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x07),          // one DTLS 1.2 record of 7 = 20 − 13 bytes; only byte 0 repeats
            tls,                                                                      // only byte 0 repeats
        ];
        var probe = new ProbeClassifier(packetThreshold: 1000);
        var engine = Packets.Engine(probe);
        long t = 1_000_000;
        int number = 0;
        void Send(byte[] payload, bool up)
        {
            byte[] frame = up ? Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, payload) : Packets.Udp("10.0.0.2", 2000, "10.0.0.1", 1000, payload);
            engine.ProcessPacket(frame, t += 1000, frame.Length, ++number);
        }

        Send(toServer[0], true);
        Send(toServer[1], true);
        Send(toClient[0], false);
        Send(toServer[2], true);
        Send(toClient[1], false);
        Send(toServer[3], true);
        Send(toClient[2], false);
        engine.Finish();

        float[] f = Assert.Single(probe.Calls).Features;

        // 7 payloads framed; 5 compared with an earlier one of their direction (all but the first of each).
        Assert.Equal(4f / 5, f[F("share_same_first_byte")], 6);      // to server #2, #4; to client #2, #3
        Assert.Equal(2f / 5, f[F("share_same_first_2_bytes")], 6);   // to server #2, #4
        Assert.Equal(2f / 5, f[F("share_same_first_4_bytes")], 6);
        Assert.Equal(0f, f[F("share_counter_be32_at_4")]);
        Assert.Equal(1f / 5, f[F("share_counter_be32_at_6")], 6);    // to server #4
        Assert.Equal(1f / 5, f[F("share_counter_le32_at_8")], 6);    // to server #2
        Assert.Equal(2f / 5, f[F("share_same_size_as_previous")], 6);
        Assert.Equal(2f / 7, f[F("share_length_prefixed")], 6);
        Assert.Equal(2f / 7, f[F("share_tls_record_start")], 6);
        Assert.Equal(2f / 7, f[F("share_tls_record_aligned")], 6);
        Assert.Equal(1f / 7, f[F("share_tor_cell_records")], 6);
        Assert.Equal(1f / 7, f[F("share_dtls_record")], 6);
    }

    [Fact]
    public void FlowWithoutPayload_HasNoFramingShares()
    {
        var probe = new ProbeClassifier(packetThreshold: 1000);
        var engine = Packets.Engine(probe);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 0, 0), 1_000_000, 28, 1);
        engine.ProcessPacket(Packets.Udp("10.0.0.2", 2000, "10.0.0.1", 1000, 0, 0), 1_001_000, 28, 2);
        engine.ProcessPacket(Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, 8, 0x17), 1_002_000, 36, 3);   // too short to compare
        engine.Finish();
        float[] f = Assert.Single(probe.Calls).Features;
        Assert.Equal(-1, f[F("share_same_first_4_bytes")]);
        Assert.Equal(-1, f[F("share_counter_le32_at_8")]);
        Assert.Equal(0, f[F("share_tls_record_start")]);   // one payload framed, not a TLS record
    }

    [Theory]
    [InlineData(531, true)]       // 1 cell, TLS 1.3 (17 bytes of overhead)
    [InlineData(538, true)]       // 1 cell, TLS 1.2 GCM (24)
    [InlineData(1045, true)]      // 2 cells, TLS 1.3
    [InlineData(544, true)]       // 1 cell (512 or 514 bytes), or 511 bytes after a 1/n−1 split, + HMAC-SHA1, CBC-padded: TLS 1.0
    [InlineData(560, true)]       // the same with TLS 1.1/1.2's explicit IV
    [InlineData(1056, true)]      // 2 old cells less a byte + 20 + padding (the nDPI tor.pcap records are 544)
    [InlineData(536, false)]      // 512 + 24: old cells under GCM never happened
    [InlineData(1041, false)]     // 1024 + 17: two old cells under TLS 1.3 never happened (a proxy's 1 KiB records)
    [InlineData(32, false)]       // the one-byte record of a 1/n−1 split
    [InlineData(16401, false)]    // a full TLS 1.3 record
    [InlineData(16408, false)]    // a full TLS 1.2 GCM record (16,384 = 32 × 512)
    [InlineData(16416, false)]    // a full TLS 1.0 CBC-SHA1 record
    [InlineData(1000, false)]
    public void TorCellRecordLengths(int record, bool cells) => Assert.Equal(cells, FlowFeatureState.IsTorCellRecord(record));

    [Fact]
    public void TorCells_AfterA1nMinus1Split_CountTheSecondRecord()
    {
        // TLS 1.0 CBC as old relays sent it: a 32-byte record (one byte), then a 544-byte one (a 512-byte cell less that byte).
        byte[] split = new byte[5 + 32 + 5 + 544];
        split[0] = 0x17; split[1] = 0x03; split[2] = 0x01; split[4] = 32;
        split[37] = 0x17; split[38] = 0x03; split[39] = 0x01; split[40] = 544 >> 8; split[41] = 544 & 0xFF;
        byte[] plain = Bytes(5 + 32, 0x17, 0x03, 0x01, 0x00, 32);   // a lone short record: not cells
        var probe = new ProbeClassifier(packetThreshold: 1000);
        var engine = Packets.Engine(probe);
        long t = 1_000_000;
        int number = 0;
        foreach (byte[] payload in new[] { split, split, plain, split })
        {
            byte[] frame = Packets.Udp("10.0.0.1", 1000, "10.0.0.2", 2000, payload);
            engine.ProcessPacket(frame, t += 1000, frame.Length, ++number);
        }

        engine.Finish();
        float[] f = Assert.Single(probe.Calls).Features;
        Assert.Equal(3f / 4, f[F("share_tor_cell_records")], 6);
    }

    [SkippableFact]
    public void NdpiTor_Tls10CbcOldCells_AreTorCellRecords()
    {
        // nDPI's tor.pcap: a Tor client of the TLS 1.0 era, 512-byte cells in 1/n−1-split CBC records (586-byte payloads).
        string dir = TestEnvironment.RequireNdpiCaptures();
        float[] tor = LongestFlow(Path.Combine(dir, "tor.pcap"));
        Assert.True(tor[F("share_tor_cell_records")] >= 0.5f, "Tor cell records " + tor[F("share_tor_cell_records")]);
    }

    /// <summary>The features of the longest flow of a capture (a committed one when the name has no folder), judged where the live sensor judges (32 packets).</summary>
    private static float[] LongestFlow(string file)
    {
        string path = Path.Combine(TestEnvironment.ProjectCaptures, file);
        var probe = new ProbeClassifier(packetThreshold: 32);
        var engine = Packets.Engine(probe);
        using (CaptureFileSource source = CaptureFileSource.Open(path))
        {
            engine.SetLinkType(source.LinkType);
            while (source.ReadNext(out RawPacket packet) == ReadStatus.Packet)
            {
                engine.ProcessPacket(packet.Data, packet.TimestampMicros, packet.WireLength, packet.Number);
            }
        }

        engine.Finish();
        Assert.NotEmpty(probe.Calls);
        return probe.Calls.MaxBy(c => c.Packets).Features;
    }

    [Fact]
    public void WireGuardMidFlow_ConstantTypeAndIndex_LittleEndianCounter()
    {
        // Transport data: type 4 + three zero bytes, the peer's receiver index, then a 64-bit LE counter.
        float[] f = LongestFlow("wireguard-udp-51820-midflow.pcap");
        Assert.True(f[F("share_same_first_4_bytes")] >= 0.9f, "same 4 bytes " + f[F("share_same_first_4_bytes")]);
        Assert.True(f[F("share_counter_le32_at_8")] >= 0.9f, "LE counter " + f[F("share_counter_le32_at_8")]);
        Assert.True(f[F("share_counter_be32_at_4")] <= 0.1f, "BE counter at 4 " + f[F("share_counter_be32_at_4")]);
        Assert.Equal(0, f[F("share_tls_record_start")]);
    }

    [Fact]
    public void EspInUdpMidFlow_ConstantSpi_BigEndianSequence()
    {
        // ESP: SPI (constant per direction), then the 32-bit BE sequence number at offset 4.
        float[] f = LongestFlow("ipsec-ikev2-udp-500-4500-midflow.pcap");
        Assert.True(f[F("share_same_first_4_bytes")] >= 0.9f, "same 4 bytes " + f[F("share_same_first_4_bytes")]);
        Assert.True(f[F("share_counter_be32_at_4")] >= 0.9f, "BE counter at 4 " + f[F("share_counter_be32_at_4")]);
        Assert.True(f[F("share_counter_le32_at_8")] <= 0.1f, "LE counter at 8 " + f[F("share_counter_le32_at_8")]);
    }

    [Fact]
    public void OpenVpnMidFlow_UdpPacketIdAt4_TcpLengthPrefixAndPacketIdAt6()
    {
        // P_DATA_V2: opcode+key (0x48) and 3-byte peer-id, then the BE packet-id; over TCP a 2-byte BE length comes first.
        float[] udp = LongestFlow("openvpn-udp-1194-tls-crypt-midflow.pcap");
        Assert.True(udp[F("share_same_first_4_bytes")] >= 0.9f, "UDP same 4 bytes " + udp[F("share_same_first_4_bytes")]);
        Assert.True(udp[F("share_counter_be32_at_4")] >= 0.9f, "UDP BE counter at 4 " + udp[F("share_counter_be32_at_4")]);
        Assert.Equal(0, udp[F("share_length_prefixed")]);

        float[] tcp = LongestFlow("openvpn-tcp-443-tls-auth-midflow.pcap");
        Assert.True(tcp[F("share_length_prefixed")] >= 0.8f, "TCP length prefix " + tcp[F("share_length_prefixed")]);
        Assert.True(tcp[F("share_counter_be32_at_6")] >= 0.8f, "TCP BE counter at 6 " + tcp[F("share_counter_be32_at_6")]);
        Assert.Equal(0, tcp[F("share_tls_record_start")]);
    }

    [Fact]
    public void TorMidFlow_TlsRecordsOfWholeCells_HttpsNot()
    {
        float[] tor = LongestFlow("tor-bridge-9001-midflow.pcap");
        Assert.True(tor[F("share_tls_record_start")] >= 0.5f, "TLS records " + tor[F("share_tls_record_start")]);
        Assert.True(tor[F("share_tor_cell_records")] >= 0.5f, "Tor cell records " + tor[F("share_tor_cell_records")]);

        float[] https = LongestFlow("benign-https-tls13.pcap");
        Assert.True(https[F("share_tls_record_start")] > 0, "HTTPS TLS records " + https[F("share_tls_record_start")]);
        Assert.Equal(0, https[F("share_tor_cell_records")]);
        Assert.True(https[F("share_counter_be32_at_4")] + https[F("share_counter_be32_at_6")] + https[F("share_counter_le32_at_8")] <= 0.1f);
    }
}
