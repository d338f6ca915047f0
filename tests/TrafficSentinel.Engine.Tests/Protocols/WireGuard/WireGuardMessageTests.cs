using TrafficSentinel.Engine.Protocols.WireGuard;

namespace TrafficSentinel.Engine.Tests.Protocols.WireGuard;

/// <summary>Literal messages from real captures, field by field, and every truncation of them.</summary>
public class WireGuardMessageTests
{
    /// <summary>wireguard.pcap frame 1, 10.9.0.1:43462 → 10.9.0.2:51820: handshake initiation, 148 bytes.</summary>
    internal static readonly byte[] Initiation = Convert.FromHexString(
        "01" + "000000"                                                             // type 1, reserved
        + "d837d030"                                                                // sender index 0x30d037d8 (LE)
        + "5fcec7c8e5c8e2e3f7989eef60c228d82329d602b6b1e2bb9d068f89cf9d4d45"       // unencrypted ephemeral (32)
        + "32780f6d27264f7b98701fdc27a4ec00aeb6becdbef2332f1b4084cadb938239"       // encrypted static (32 …
        + "35c012ae255e7b25eff13940c321fa6b"                                       // … + 16 tag)
        + "d66a2a87b061db1430173e937f569349de2856dc5f2616763eeeafc0"               // encrypted timestamp (12 + 16)
        + "533b01dd965e7ec76976e28f683d6712"                                       // mac1
        + "00000000000000000000000000000000");                                     // mac2 (zero: no cookie)

    /// <summary>wireguard.pcap frame 2, 10.9.0.2:51820 → 10.9.0.1:43462: handshake response, 92 bytes.</summary>
    internal static readonly byte[] Response = Convert.FromHexString(
        "02" + "000000"                                                             // type 2, reserved
        + "06f47dab"                                                                // sender index 0xab7df406
        + "d837d030"                                                                // receiver index 0x30d037d8 = initiation's sender
        + "b18d5550bd4042a37a46823ac08db1ec66839bc0ca2d64bc15cd80232b66232f"       // unencrypted ephemeral (32)
        + "aec24af8918de1060ff5c98e865d5f35"                                       // encrypted nothing (0 + 16 tag)
        + "f272214c5260110dc4c61e32cdd85421"                                       // mac1
        + "00000000000000000000000000000000");                                     // mac2

    /// <summary>wireguard.pcap frame 9, initiator → responder: a 32-byte keepalive.</summary>
    internal static readonly byte[] Keepalive = Convert.FromHexString(
        "04" + "000000"                                                             // type 4, reserved
        + "06f47dab"                                                                // receiver index 0xab7df406 = response's sender
        + "0300000000000000"                                                        // counter 3 (LE u64)
        + "1956e2b6651dd4f59cb23092a0d09671");                                     // Poly1305 tag of an empty packet

    /// <summary>wireguard.pcap frame 3: first transport packet, 128 bytes (96 encrypted + 16 tag + 16 header).</summary>
    internal static readonly byte[] Transport = Convert.FromHexString(
        "04000000" + "06f47dab" + "0000000000000000"                               // type 4, receiver 0xab7df406, counter 0
        + "a4ebc12ee3f990da18033a0789c04e2700f6f5c271d42ac4b4d6262e666549b445a7436e829bffb6ac65f05648bc0c391fe7c5884874376127164940188f03dba67af8388eaab76c593628bf9dc7be03346d912e916dad862545454701364f2d2486d7ced4c8642ce547ddb26ef6a46b");

    /// <summary>cloudflare-warp.pcap frame 64, client → 162.159.192.7:2408: WARP initiation 0xc1, 194 bytes.</summary>
    internal static readonly byte[] WarpInitiation = Convert.FromHexString(
        "c1" + "000000"                                                             // type 0xc1, reserved zero (only here)
        + "00908301"                                                                // sender index
        + "82436cb06c2855bf3f33c0b207af0febbcfbe0c624bd655427e652e1c769c73cf49bb6a907c9350af08bf60ccc7fcf24cc265eaac56d8a309f2999dc8d206c68bc8e95d8d018817f46ccc650a05fa3315755123fa1508300b77821e89ca8d315ef72be8a72b317ed274f894b0a6634b5985be572ffb8da9ef97f5df3dc9a1061b790716241e8b0bff8cbf2cba097327f1153253705aa96a20b4fa8c9bc8f9cc2e04581262a75263de0156b055adc26ce2b3477d65b5b04e5db3c");

    /// <summary>cloudflare-warp.pcap frame 65: WARP response 0xc2; its first 92 of 778 bytes (the rest is opaque).</summary>
    internal static readonly byte[] WarpResponse = Convert.FromHexString(
        "c2" + "027800"                                                             // type 0xc2, routing id 0x007802 (bytes 1–3)
        + "6884ee00"                                                                // sender index 0x00ee8468
        + "01908300"                                                                // receiver index (not the initiation's as sent)
        + "14575fa55fdd15ec439fd8324a367b32eb156c678331d513d8d59cf0d847b522"       // ephemeral
        + "ef981d81e8dd424b6330b9bf13d667bf"                                       // encrypted nothing
        + "26f56de51dd30b8722d1f8dbb277cb93"                                       // mac1
        + "00000000000000000000000000000000");                                     // mac2

    /// <summary>cloudflare-warp.pcap frame 66: WARP transport 0xc4 from the client, 84 bytes (not padded to 16).</summary>
    internal static readonly byte[] WarpTransport = Convert.FromHexString(
        "c4" + "027800"                                                             // type 0xc4, routing id echoed
        + "6884ee00"                                                                // receiver index = response's sender
        + "0100000000000000"                                                        // counter 1
        + "77f597b966c0cebed8ddd93582b00a0f226c597ce17ec4a879a4ca6c158f7d210c7f117d7d8c8ab1b3bd66b0e5d4c1fca435b962b12f90ba107392473685beb2fae2b5b5");

    /// <summary>tailscale.pcap frame 1: a disco message, 92 bytes.</summary>
    internal static readonly byte[] Disco = Convert.FromHexString(
        "5453f09f92ac"                                                              // magic "TS💬"
        + "b6847dd212ae777bfae214b36d0d971152f0c7e0524e0c28b0a0105b5fa61617"       // sender disco key (32)
        + "03214ee94e401257e70fa30f02a2c6b15bb7ab39de58a6ab"                       // nonce (24)
        + "a6dfda69f578e7c967976bd80ea2e2ca6e18b699846a9aa1b71d6a965bee");         // box (30)

    public static TheoryData<string, byte[]> Captured => new()
    {
        { "initiation", Initiation },
        { "response", Response },
        { "keepalive", Keepalive },
        { "transport", Transport },
        { "warp-initiation", WarpInitiation },
        { "warp-response", WarpResponse },
        { "warp-transport", WarpTransport },
    };

    [Fact]
    public void TryParse_Initiation_ReadsSenderAndMac2()
    {
        Assert.Equal(148, Initiation.Length);
        Assert.True(WireGuardMessage.TryParse(Initiation, out WireGuardMessage m));
        Assert.Equal(WireGuardMessageType.HandshakeInitiation, m.Type);
        Assert.Equal(WireGuardVariant.Standard, m.Variant);
        Assert.Equal(0x30d037d8u, m.SenderIndex);
        Assert.True(m.Mac2Zero);
        Assert.Equal(148, m.Length);
    }

    [Fact]
    public void TryParse_Response_ReadsBothIndexes()
    {
        Assert.Equal(92, Response.Length);
        Assert.True(WireGuardMessage.TryParse(Response, out WireGuardMessage m));
        Assert.Equal(WireGuardMessageType.HandshakeResponse, m.Type);
        Assert.Equal(0xab7df406u, m.SenderIndex);
        Assert.Equal(0x30d037d8u, m.ReceiverIndex);
        Assert.True(m.Mac2Zero);
    }

    [Fact]
    public void TryParse_Transport_ReadsReceiverAndCounter()
    {
        Assert.True(WireGuardMessage.TryParse(Keepalive, out WireGuardMessage k));
        Assert.Equal(WireGuardMessageType.TransportData, k.Type);
        Assert.Equal(0xab7df406u, k.ReceiverIndex);
        Assert.Equal(3ul, k.Counter);
        Assert.True(k.IsKeepalive);
        Assert.True(k.IsPadded);

        Assert.True(WireGuardMessage.TryParse(Transport, out WireGuardMessage t));
        Assert.Equal(128, t.Length);
        Assert.Equal(0ul, t.Counter);
        Assert.False(t.IsKeepalive);
        Assert.True(t.IsPadded);
    }

    [Fact]
    public void TryParse_Warp_ReadsDialectRoutingIdAndIndexes()
    {
        Assert.True(WireGuardMessage.TryParse(WarpInitiation, out WireGuardMessage i));
        Assert.Equal((WireGuardMessageType.HandshakeInitiation, WireGuardVariant.CloudflareWarp, 0u, 194), (i.Type, i.Variant, i.Reserved, i.Length));
        Assert.Equal(0x01839000u, i.SenderIndex);

        Assert.True(WireGuardMessage.TryParse(WarpResponse, out WireGuardMessage r));
        Assert.Equal((WireGuardMessageType.HandshakeResponse, WireGuardVariant.CloudflareWarp, 0x007802u), (r.Type, r.Variant, r.Reserved));
        Assert.Equal(0x00ee8468u, r.SenderIndex);
        Assert.True(r.Mac2Zero);

        Assert.True(WireGuardMessage.TryParse(WarpTransport, out WireGuardMessage t));
        Assert.Equal((WireGuardMessageType.TransportData, WireGuardVariant.CloudflareWarp, 0x007802u), (t.Type, t.Variant, t.Reserved));
        Assert.Equal(0x00ee8468u, t.ReceiverIndex);
        Assert.Equal(1ul, t.Counter);
        Assert.False(t.IsPadded);
    }

    [Fact]
    public void TryParse_TunnelBearSizes_AreAcceptedAsTheirVariant()
    {
        byte[] init = new byte[204];
        init[0] = 1;
        Assert.True(WireGuardMessage.TryParse(init, out WireGuardMessage i));
        Assert.Equal(WireGuardVariant.TunnelBear, i.Variant);

        byte[] resp = new byte[100];
        resp[0] = 2;
        Assert.True(WireGuardMessage.TryParse(resp, out WireGuardMessage r));
        Assert.Equal(WireGuardVariant.TunnelBear, r.Variant);
    }

    [Theory]
    [InlineData(1, 147)]
    [InlineData(1, 149)]
    [InlineData(1, 92)]
    [InlineData(2, 91)]
    [InlineData(2, 93)]
    [InlineData(2, 148)]
    [InlineData(3, 63)]
    [InlineData(3, 65)]
    [InlineData(4, 31)]
    [InlineData(5, 64)]
    [InlineData(0, 64)]
    [InlineData(0xc0, 148)]
    [InlineData(0xc5, 148)]
    [InlineData(0xc1, 1200)]
    [InlineData(0xc2, 91)]
    [InlineData(0xc3, 65)]
    public void TryParse_WrongTypeOrSize_IsRejected(byte type, int length)
    {
        byte[] data = new byte[length];
        data[0] = type;
        AssertRejected(data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryParse_NonZeroReservedByte_IsRejected(int position)
    {
        foreach (byte[] original in new[] { Initiation, Response, Keepalive, WarpInitiation })
        {
            byte[] data = (byte[])original.Clone();
            data[position] = 0x01;
            AssertRejected(data);
        }
    }

    [Fact]
    public void TryParse_TrailingByteOnFixedSizeMessage_IsRejected()
    {
        AssertRejected([.. Initiation, 0]);
        AssertRejected([.. Response, 0]);
    }

    [Fact]
    public void TryParse_Mac2Set_IsReported()
    {
        byte[] data = (byte[])Initiation.Clone();
        data[140] = 0x5a;
        Assert.True(WireGuardMessage.TryParse(data, out WireGuardMessage m));
        Assert.False(m.Mac2Zero);
    }

    [Fact]
    public void TryParse_QuicV1Initial_IsRejected()
    {
        // A QUIC v1 client Initial: first byte 0xc0–0xcf, version 00000001, padded to ≥ 1200 bytes.
        byte[] quic = new byte[1252];
        quic[0] = 0xc3;
        quic[4] = 0x01;
        AssertRejected(quic);
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void TryParse_EveryTruncation_FailsOrParsesWithoutThrowing(string name, byte[] message)
    {
        for (int length = 0; length < message.Length; length++)
        {
            bool ok = WireGuardMessage.TryParse(message.AsSpan(0, length), out WireGuardMessage m);
            if (!ok)
            {
                Assert.Equal(default, m);
            }
            else
            {
                // Only variable-length messages survive truncation: transport data ≥ 32 bytes, WARP's handshakes.
                Assert.True(m.Type == WireGuardMessageType.TransportData || m.Variant == WireGuardVariant.CloudflareWarp, name + " at " + length);
                Assert.True(length >= 32);
            }
        }
    }

    [Fact]
    public void TryParse_FixedSizeMessages_FailAtEveryShorterLength()
    {
        for (int length = 0; length < Initiation.Length; length++)
        {
            AssertRejected(Initiation.AsSpan(0, length));
        }

        for (int length = 0; length < Response.Length; length++)
        {
            AssertRejected(Response.AsSpan(0, length));
        }
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var random = new Random(51820);
        byte[] buffer = new byte[1500];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 4 == 0 && length > 4)
            {
                // Keep a plausible header so the size and index paths run too.
                buffer[0] = (byte)random.Next(0, 6);
                buffer[1] = buffer[2] = buffer[3] = 0;
            }

            _ = WireGuardMessage.TryParse(buffer.AsSpan(0, length), out _);
            _ = TailscaleDiscoMessage.TryParse(buffer.AsSpan(0, length), out _);
        }
    }

    [Fact]
    public void TailscaleDisco_Captured_IsParsed()
    {
        Assert.True(TailscaleDiscoMessage.TryParse(Disco, out TailscaleDiscoMessage m));
        Assert.Equal(0xb6847dd2u, m.SenderKeyPrefix);
        Assert.Equal(92, m.Length);
        Assert.False(WireGuardMessage.TryParse(Disco, out _));
    }

    [Fact]
    public void TailscaleDisco_EveryTruncation_FailsBelowTheMinimumWithoutThrowing()
    {
        for (int length = 0; length < Disco.Length; length++)
        {
            bool ok = TailscaleDiscoMessage.TryParse(Disco.AsSpan(0, length), out TailscaleDiscoMessage m);
            Assert.Equal(length >= TailscaleDiscoMessage.MinSize, ok);
            if (!ok)
            {
                Assert.Equal(default, m);
            }
        }
    }

    private static void AssertRejected(ReadOnlySpan<byte> data)
    {
        Assert.False(WireGuardMessage.TryParse(data, out WireGuardMessage m));
        Assert.Equal(default, m);
    }
}
