using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TrafficSentinel.Engine.Flows;
using TrafficSentinel.Engine.Protocols.Tls;
using TrafficSentinel.Engine.Protocols.Tor;

namespace TrafficSentinel.Engine.Detection.Detectors;

/// <summary>
/// Tor's link protocol, from its TLS handshake on any port (tor-spec §2; src/lib/tls/tortls*.c):
/// the client's SNI <c>www.[a-z2-7]{4,25}.com</c> and then either the relay's certificate shapes
/// (TLS ≤ 1.2: CN-only <c>www.[a-z2-7]{8,20}.net</c> issued by CN-only <c>www.[a-z2-7]{8,20}.com</c>)
/// or, when TLS 1.3 hides the certificate, application records carrying whole 514-byte cells in
/// both directions. The SNI alone never decides: names such as www.google.com fit it.
/// Optionally a <see cref="TorRelayList"/> attributes flows whose server endpoint is a known relay.
/// <para>
/// TLS records are followed per direction by TCP sequence number; handshake records split over
/// segments are collected in a bounded <see cref="TlsReassemblyPool"/> owned by this instance.
/// </para>
/// </summary>
public sealed class TorDetector : FlowDetector
{
    public const int DefaultReassemblySlots = 128;

    /// <summary>Cell-quantised application records needed in each direction for the TLS 1.3 path.</summary>
    public const int CellRecordsPerDirection = 3;

    internal const int EvidenceCertificate = 1;
    internal const int EvidenceCells = 2;
    internal const int EvidenceRelayList = 3;

    private const float CertificateConfidence = 0.95f;
    private const float CellsConfidence = 0.9f;
    private const float RelayListConfidence = 0.7f;

    private readonly TorRelayList? _relays;
    private readonly TlsReassemblyPool _pool;

    public TorDetector(TorRelayList? relays = null, int reassemblySlots = DefaultReassemblySlots)
    {
        _relays = relays;
        _pool = new TlsReassemblyPool(reassemblySlots);
    }

    public override string Protocol => "tor";

    public override string Category => "anonymizer";

    public override DetectorTransports Transports => DetectorTransports.Tcp;

    /// <summary>
    /// The link handshake is over within the first dozen payload packets; TLS 1.3 needs three
    /// cell records each way after it (about 15 packets in our captures).
    /// </summary>
    public override int PacketBudget => 32;

    public override int StateSize => Unsafe.SizeOf<TorFlowState>();

    public override bool WantsFlowEnd => true;

    /// <summary>The reassembly buffers (for statistics: slots in use, exhaustion).</summary>
    public TlsReassemblyPool ReassemblyPool => _pool;

    /// <summary>Flows that could not be judged because a handshake record did not fit or no slot was free.</summary>
    public long ReassemblyFailures { get; private set; }

    public override DetectorVerdict Inspect(in PacketContext packet, Span<byte> state, ref DetectionMatch match)
    {
        ref TorFlowState s = ref MemoryMarshal.AsRef<TorFlowState>(state);
        if ((s.Flags & TorFlags.RelayChecked) == 0)
        {
            s.Flags |= TorFlags.RelayChecked;
            // The server endpoint, address and (when listed) ORPort; or the client endpoint when it is
            // a listed address:ORPort exactly, as when a capture starts mid-flow with the relay's packet.
            ref readonly FlowRecord flow = ref packet.Flow;
            if (_relays is not null
                && (_relays.Contains(flow.ServerAddress, flow.ServerPort) || _relays.Contains(flow.ClientAddress, flow.ClientPort, exactPortOnly: true)))
            {
                s.Flags |= TorFlags.RelayListed;
            }
        }

        bool fromClient = packet.FromClient;
        bool tor = fromClient
            ? Feed(ref s, ref s.Client, true, packet.Packet.TcpSequence, packet.Payload)
            : Feed(ref s, ref s.Server, false, packet.Packet.TcpSequence, packet.Payload);
        if (!tor)
        {
            ReleaseSlot(ref s);
            return (s.Flags & TorFlags.RelayListed) != 0 ? RelayListMatch(ref match) : DetectorVerdict.Exclude;
        }

        if ((s.Flags & TorFlags.SniTor) != 0)
        {
            if ((s.Flags & TorFlags.CertRelay) != 0)
            {
                return Decide(ref s, ref match, EvidenceCertificate, CertificateConfidence);
            }

            if ((s.Flags & TorFlags.ServerHello) != 0 && s.Client.CellRecords >= CellRecordsPerDirection && s.Server.CellRecords >= CellRecordsPerDirection)
            {
                return Decide(ref s, ref match, EvidenceCells, CellsConfidence);
            }
        }

        if (packet.PayloadPacketIndex >= PacketBudget - 1 && (s.Flags & TorFlags.RelayListed) != 0)
        {
            ReleaseSlot(ref s);
            return RelayListMatch(ref match);
        }

        return DetectorVerdict.Continue;
    }

    public override void OnFlowEnded(Span<byte> state) => ReleaseSlot(ref MemoryMarshal.AsRef<TorFlowState>(state));

    public override string DescribeEvidence(ReadOnlySpan<byte> state, in DetectionMatch match)
    {
        TorFlowState s = MemoryMarshal.Read<TorFlowState>(state);
        var text = new StringBuilder();
        if (match.EvidenceCode == EvidenceRelayList)
        {
            text.Append("server endpoint is a listed Tor relay (relay list)");
            if ((s.Flags & TorFlags.SniTor) != 0)
            {
                text.Append("; client SNI ").Append(SniText(in s)).Append(" fits Tor's random www.<base32>.com");
            }
            else
            {
                text.Append("; no Tor link handshake seen on this flow");
            }

            return text.ToString();
        }

        text.Append("Tor link handshake: client SNI ").Append(SniText(in s))
            .Append(" (random base32, ").Append(s.SniLength).Append(" chars)");
        if ((s.Flags & TorFlags.CertRelay) != 0)
        {
            text.Append("; relay link certificate CN=www.<").Append(s.SubjectRandom).Append(" random base32>.net issued by CN=www.<")
                .Append(s.IssuerRandom).Append(" random base32>.com, CN-only names, valid ").Append(s.ValidityDays).Append(" days");
        }
        else if ((s.Flags & TorFlags.Tls13) != 0)
        {
            text.Append("; TLS 1.3 (certificate encrypted)");
        }

        var protection = new TlsRecordProtection((TlsProtectionKind)s.ProtectionKind, s.Overhead, s.MacLength, s.BlockSize);
        if (s.Client.CellRecords + s.Server.CellRecords > 0)
        {
            text.Append("; records of whole 514-byte cells (1 cell = ").Append(protection.CiphertextLength(TorLinkShapes.CellSize))
                .Append(" bytes on the wire): ").Append(s.Client.CellRecords).Append(" from client, ")
                .Append(s.Server.CellRecords).Append(" from server");
        }

        return text.ToString();
    }

    private static string SniText(in TorFlowState s)
    {
        ReadOnlySpan<byte> label = s.Sni;
        return "www." + Encoding.ASCII.GetString(label.Slice(0, Math.Min((int)s.SniLength, label.Length))) + ".com";
    }

    private static DetectorVerdict RelayListMatch(ref DetectionMatch match)
    {
        match.Method = DetectionMethod.AddressList;
        match.Confidence = RelayListConfidence;
        match.EvidenceCode = EvidenceRelayList;
        return DetectorVerdict.Match;
    }

    private DetectorVerdict Decide(ref TorFlowState s, ref DetectionMatch match, int evidence, float confidence)
    {
        ReleaseSlot(ref s);
        match.Method = DetectionMethod.Signature;
        match.Confidence = confidence;
        match.EvidenceCode = evidence;
        return DetectorVerdict.Match;
    }

    private void ReleaseSlot(ref TorFlowState s)
    {
        if (s.Slot != 0)
        {
            _pool.Release(s.Slot - 1);
            s.Slot = 0;
        }

        s.Client.Flags &= unchecked((byte)~DirectionFlags.Capturing);
        s.Server.Flags &= unchecked((byte)~DirectionFlags.Capturing);
    }

    /// <summary>
    /// Places one segment in its direction's byte stream and walks the TLS records in it. False when
    /// the flow cannot be Tor's link (not TLS, a non-Tor name or certificate, a gap before the
    /// handshake was judged).
    /// </summary>
    private bool Feed(ref TorFlowState s, ref TorDirection d, bool fromClient, uint sequence, ReadOnlySpan<byte> data)
    {
        if ((d.Flags & DirectionFlags.SequenceKnown) == 0)
        {
            d.Flags |= DirectionFlags.SequenceKnown;
            d.NextSequence = sequence;
        }

        int delta = (int)(sequence - d.NextSequence);
        if (delta > 0)
        {
            // A gap (loss, or a capture that dropped a segment): the record boundaries are gone.
            return false;
        }

        if (delta < 0)
        {
            // Retransmission or overlap: keep only bytes not seen yet.
            if (-delta >= data.Length)
            {
                return true;
            }

            data = data.Slice(-delta);
        }

        d.NextSequence += (uint)data.Length;
        while (!data.IsEmpty)
        {
            if (d.RecordLeft > 0)
            {
                int take = Math.Min(d.RecordLeft, data.Length);
                if ((d.Flags & DirectionFlags.Capturing) != 0 && !_pool.TryAppend(s.Slot - 1, data.Slice(0, take)))
                {
                    ReassemblyFailures++;
                    ReleaseSlot(ref s);
                    d.Flags |= DirectionFlags.CaptureFailed;
                }

                d.RecordLeft = (ushort)(d.RecordLeft - take);
                data = data.Slice(take);
                if (d.RecordLeft == 0)
                {
                    if ((d.Flags & DirectionFlags.Capturing) != 0)
                    {
                        bool ok = OnHandshakeRecord(ref s, fromClient, _pool.Contents(s.Slot - 1));
                        ReleaseSlot(ref s);
                        if (!ok)
                        {
                            return false;
                        }
                    }
                    else if ((d.Flags & DirectionFlags.CaptureFailed) != 0)
                    {
                        d.Flags &= unchecked((byte)~DirectionFlags.CaptureFailed);
                        if (!OnHandshakeRecordLost(ref s, fromClient))
                        {
                            return false;
                        }
                    }
                }

                continue;
            }

            TlsParseStatus status = ReadHeader(ref d, ref data, out TlsRecordHeader header);
            if (status == TlsParseStatus.Incomplete)
            {
                break;
            }

            if (status == TlsParseStatus.Invalid || !OnRecordHeader(ref s, ref d, fromClient, in header))
            {
                return false;
            }

            int length = header.Length;
            if (header.ContentType != TlsContentType.Handshake || !WantsHandshakeBody(ref s, fromClient))
            {
                d.RecordLeft = (ushort)length;
                continue;
            }

            if (data.Length >= length)
            {
                if (!OnHandshakeRecord(ref s, fromClient, data.Slice(0, length)))
                {
                    return false;
                }

                data = data.Slice(length);
                continue;
            }

            // The record continues in later segments: collect it in a pool slot.
            d.RecordLeft = (ushort)length;
            if (s.Slot == 0 && _pool.TryAcquire(out int slot))
            {
                s.Slot = (byte)(slot + 1);
                d.Flags |= DirectionFlags.Capturing;
            }
            else
            {
                ReassemblyFailures++;
                d.Flags |= DirectionFlags.CaptureFailed;
            }
        }

        return true;
    }

    /// <summary>Assembles a record header that may be split over segments (at most 4 bytes carried in state).</summary>
    private static TlsParseStatus ReadHeader(ref TorDirection d, ref ReadOnlySpan<byte> data, out TlsRecordHeader header)
    {
        if (d.HeaderHave == 0 && data.Length >= TlsRecordHeader.Size)
        {
            TlsParseStatus direct = TlsRecordHeader.TryParse(data, out header);
            if (direct == TlsParseStatus.Ok)
            {
                data = data.Slice(TlsRecordHeader.Size);
            }

            return direct;
        }

        ulong scratch = 0;
        Span<byte> bytes = MemoryMarshal.AsBytes(new Span<ulong>(ref scratch));
        int have = d.HeaderHave;
        for (int i = 0; i < have; i++)
        {
            bytes[i] = (byte)(d.HeaderBytes >> (8 * (3 - i)));
        }

        int take = Math.Min(TlsRecordHeader.Size - have, data.Length);
        data.Slice(0, take).CopyTo(bytes.Slice(have));
        data = data.Slice(take);
        TlsParseStatus status = TlsRecordHeader.TryParse(bytes.Slice(0, have + take), out header);
        if (status == TlsParseStatus.Incomplete)
        {
            uint packed = 0;
            for (int i = 0; i < have + take; i++)
            {
                packed |= (uint)bytes[i] << (8 * (3 - i));
            }

            d.HeaderBytes = packed;
            d.HeaderHave = (byte)(have + take);
        }
        else
        {
            d.HeaderHave = 0;
            d.HeaderBytes = 0;
        }

        return status;
    }

    /// <summary>Checks a record's type against the handshake so far and counts cell-sized application records.</summary>
    private static bool OnRecordHeader(ref TorFlowState s, ref TorDirection d, bool fromClient, in TlsRecordHeader header)
    {
        if (fromClient ? (s.Flags & TorFlags.SniTor) == 0 : (s.Flags & TorFlags.ServerHello) == 0)
        {
            // Before its hello each side sends only handshake records; the server none before the client's hello.
            return header.ContentType == TlsContentType.Handshake && (fromClient || (s.Flags & TorFlags.SniTor) != 0);
        }

        if (header.ContentType == TlsContentType.ApplicationData && (s.Flags & TorFlags.ServerHello) != 0)
        {
            var protection = new TlsRecordProtection((TlsProtectionKind)s.ProtectionKind, s.Overhead, s.MacLength, s.BlockSize);
            if (TorLinkShapes.IsCellRecord(header.Length, in protection) && d.CellRecords < byte.MaxValue)
            {
                d.CellRecords++;
            }
        }

        return true;
    }

    private static bool WantsHandshakeBody(ref TorFlowState s, bool fromClient) =>
        fromClient
            ? (s.Flags & TorFlags.SniTor) == 0
            : (s.Flags & (TorFlags.CertChecked | TorFlags.Tls13)) == 0;

    /// <summary>A handshake record we wanted could not be collected: without the ClientHello there is nothing to go on.</summary>
    private static bool OnHandshakeRecordLost(ref TorFlowState s, bool fromClient) =>
        !fromClient || (s.Flags & TorFlags.SniTor) != 0;

    /// <summary>The body of one handshake record: walks the whole handshake messages in it.</summary>
    private static bool OnHandshakeRecord(ref TorFlowState s, bool fromClient, ReadOnlySpan<byte> body)
    {
        while (!body.IsEmpty)
        {
            TlsParseStatus status = TlsHandshakeHeader.TryReadMessage(body, out TlsHandshakeHeader header, out ReadOnlySpan<byte> message);
            if (status != TlsParseStatus.Ok)
            {
                // A message fragmented across records: Tor's hello never is; the server's rest is optional.
                return !fromClient || (s.Flags & TorFlags.SniTor) != 0;
            }

            body = body.Slice(TlsHandshakeHeader.Size + header.Length);
            if (fromClient)
            {
                if ((s.Flags & TorFlags.SniTor) != 0)
                {
                    continue;
                }

                if (header.Type != TlsHandshakeType.ClientHello || !TlsClientHello.TryParse(message, out TlsClientHello hello)
                    || !TorLinkShapes.IsClientSni(hello.ServerName))
                {
                    return false;
                }

                s.Flags |= TorFlags.SniTor;
                // Only the random label is kept: the name is www.<label>.com by construction.
                ReadOnlySpan<byte> label = hello.ServerName.Slice(4, hello.ServerName.Length - 8);
                s.SniLength = (byte)label.Length;
                label.CopyTo(s.Sni);
                continue;
            }

            switch (header.Type)
            {
                case TlsHandshakeType.ServerHello:
                    {
                        if (!TlsServerHello.TryParse(message, out TlsServerHello hello))
                        {
                            return false;
                        }

                        if (hello.IsHelloRetryRequest)
                        {
                            continue;
                        }

                        ushort version = hello.NegotiatedVersion;
                        TlsRecordProtection protection = TlsRecordProtection.For(version, hello.CipherSuite);
                        s.Flags |= TorFlags.ServerHello;
                        if (version >= TlsVersion.Tls13)
                        {
                            s.Flags |= TorFlags.Tls13;
                        }

                        s.ProtectionKind = (byte)protection.Kind;
                        s.Overhead = protection.Overhead;
                        s.MacLength = protection.MacLength;
                        s.BlockSize = protection.BlockSize;
                        break;
                    }

                case TlsHandshakeType.Certificate:
                    {
                        if ((s.Flags & (TorFlags.CertChecked | TorFlags.Tls13)) != 0)
                        {
                            break;
                        }

                        s.Flags |= TorFlags.CertChecked;
                        int offset = 0;
                        if (!TlsCertificateList.TryParse(message, out TlsCertificateList list) || !list.TryGetNext(ref offset, out ReadOnlySpan<byte> der)
                            || !X509Summary.TryParse(der, out X509Summary cert) || !TorLinkShapes.IsLinkCertificate(in cert))
                        {
                            // Tor relays always present the link certificate under TLS ≤ 1.2.
                            return false;
                        }

                        s.Flags |= TorFlags.CertRelay;
                        s.SubjectRandom = (byte)(cert.SubjectCommonName.Length - 8);
                        s.IssuerRandom = (byte)(cert.IssuerCommonName.Length - 8);
                        s.ValidityDays = (ushort)Math.Min(ushort.MaxValue, (cert.NotAfter - cert.NotBefore) / 86400);
                        break;
                    }
            }
        }

        return true;
    }
}

/// <summary>Per-flow state of <see cref="TorDetector"/>: 62 bytes, zeroed at flow start.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct TorFlowState
{
    public TorDirection Client;
    public TorDirection Server;
    public byte Flags;

    /// <summary>Reassembly slot + 1 (0: none).</summary>
    public byte Slot;
    public byte ProtectionKind;
    public byte Overhead;
    public byte MacLength;
    public byte BlockSize;
    /// <summary>The SNI's random label (between "www." and ".com") and its length.</summary>
    public byte SniLength;
    public SniBuffer Sni;
    public byte SubjectRandom;
    public byte IssuerRandom;
    public ushort ValidityDays;
}

/// <summary>One direction's place in its TLS record stream.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct TorDirection
{
    public uint NextSequence;

    /// <summary>Bytes of the current record's fragment still to come.</summary>
    public ushort RecordLeft;

    /// <summary>Bytes of a split record header carried over (0–4), packed big-endian in <see cref="HeaderBytes"/>.</summary>
    public byte HeaderHave;
    public uint HeaderBytes;

    /// <summary>Application records holding whole cells.</summary>
    public byte CellRecords;
    public byte Flags;
}

[InlineArray(TorLinkShapes.SniMaxRandom)]
internal struct SniBuffer
{
    private byte _element0;
}

internal static class TorFlags
{
    public const byte SniTor = 0x01;
    public const byte ServerHello = 0x02;
    public const byte Tls13 = 0x04;
    public const byte CertChecked = 0x08;
    public const byte CertRelay = 0x10;
    public const byte RelayChecked = 0x20;
    public const byte RelayListed = 0x40;
}

internal static class DirectionFlags
{
    public const byte SequenceKnown = 0x01;
    public const byte Capturing = 0x02;
    public const byte CaptureFailed = 0x04;
}
