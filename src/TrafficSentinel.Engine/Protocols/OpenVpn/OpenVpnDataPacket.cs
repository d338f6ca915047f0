using System.Buffers.Binary;

namespace TrafficSentinel.Engine.Protocols.OpenVpn;

/// <summary>
/// The clear header of an OpenVPN data-channel packet (OpenVPN <c>ssl_pkt.h</c>, <c>crypto.c</c>;
/// Linux <c>drivers/net/ovpn/crypto_aead.c</c>: "48000001 00000005 … [OP32] [seq #] [auth tag]"):
/// <code>
/// P_DATA_V2: opcode|key_id (1) · peer-id (3) · packet-id (4, AEAD) · tag (16) · ciphertext
/// P_DATA_V1: opcode|key_id (1) · packet-id (4, AEAD) · tag (16) · ciphertext
/// </code>
/// With AEAD ciphers (the default since 2.4) the packet-id is in clear and increases by one per packet;
/// with CBC + HMAC those 4 bytes are part of the HMAC and <see cref="PacketId"/> is noise.
/// </summary>
public struct OpenVpnDataPacket
{
    public OpenVpnOpcode Opcode;
    public byte KeyId;

    /// <summary>24-bit peer-id (P_DATA_V2 only; 0xFFFFFF = undefined).</summary>
    public uint PeerId;

    /// <summary>The 4 bytes after the header: the AEAD packet-id.</summary>
    public uint PacketId;

    /// <summary>The first 4 bytes of a P_DATA_V2 (opcode, key_id, peer-id) or the first byte of a P_DATA_V1.</summary>
    public uint Header;

    /// <summary>Header + packet-id + 16-byte AEAD tag + 1 byte: the smallest data packet accepted.</summary>
    public const int MinV2Length = 4 + 4 + 16 + 1;
    public const int MinV1Length = 1 + 4 + 16 + 1;

    public const uint UndefinedPeerId = 0xFFFFFF;

    /// <summary>Parses a whole data packet, or the first bytes (at least the header) of one of <paramref name="declaredLength"/> bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, int declaredLength, out OpenVpnDataPacket packet)
    {
        packet = default;
        if (data.Length < 8 || declaredLength < data.Length)
        {
            return false;
        }

        OpenVpnOpcode op = OpenVpnOpcodes.Of(data[0]);
        if (op == OpenVpnOpcode.DataV2)
        {
            if (declaredLength < MinV2Length)
            {
                return false;
            }

            uint header = BinaryPrimitives.ReadUInt32BigEndian(data);
            packet = new OpenVpnDataPacket
            {
                Opcode = op,
                KeyId = (byte)OpenVpnOpcodes.KeyId(data[0]),
                PeerId = header & 0xFFFFFF,
                Header = header,
                PacketId = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(4, 4)),
            };
            return true;
        }

        if (op == OpenVpnOpcode.DataV1)
        {
            if (declaredLength < MinV1Length)
            {
                return false;
            }

            packet = new OpenVpnDataPacket
            {
                Opcode = op,
                KeyId = (byte)OpenVpnOpcodes.KeyId(data[0]),
                Header = data[0],
                PacketId = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(1, 4)),
            };
            return true;
        }

        return false;
    }

    public static bool TryParse(ReadOnlySpan<byte> data, out OpenVpnDataPacket packet) => TryParse(data, data.Length, out packet);
}
