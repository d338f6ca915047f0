namespace TrafficSentinel.Engine.Protocols.OpenVpn;

/// <summary>
/// OpenVPN packet opcodes: the top 5 bits of the first byte of every packet, the low 3 bits
/// being the key_id (OpenVPN <c>src/openvpn/ssl_pkt.h</c>, P_OPCODE_SHIFT 3, P_KEY_ID_MASK 0x07;
/// "OpenVPN network protocol" notes in <c>ssl.h</c> / <c>doc/doxygen</c>).
/// </summary>
public enum OpenVpnOpcode : byte
{
    /// <summary>Not an OpenVPN opcode (0, 12 and above).</summary>
    Invalid = 0,

    /// <summary>P_CONTROL_HARD_RESET_CLIENT_V1: initial key from client, forget previous state (key-method 1).</summary>
    HardResetClientV1 = 1,

    /// <summary>P_CONTROL_HARD_RESET_SERVER_V1: initial key from server (key-method 1).</summary>
    HardResetServerV1 = 2,

    /// <summary>P_CONTROL_SOFT_RESET_V1: new key, graceful transition from old to new key (renegotiation).</summary>
    SoftResetV1 = 3,

    /// <summary>P_CONTROL_V1: control channel packet (usually a TLS ciphertext record).</summary>
    ControlV1 = 4,

    /// <summary>P_ACK_V1: acknowledgement for control packets received.</summary>
    AckV1 = 5,

    /// <summary>P_DATA_V1: data channel packet.</summary>
    DataV1 = 6,

    /// <summary>P_CONTROL_HARD_RESET_CLIENT_V2: initial key from client (key-method 2).</summary>
    HardResetClientV2 = 7,

    /// <summary>P_CONTROL_HARD_RESET_SERVER_V2: initial key from server (key-method 2).</summary>
    HardResetServerV2 = 8,

    /// <summary>P_DATA_V2: data channel packet with a 24-bit peer-id after the opcode byte.</summary>
    DataV2 = 9,

    /// <summary>P_CONTROL_HARD_RESET_CLIENT_V3: client reset carrying a tls-crypt-v2 wrapped client key (WKc).</summary>
    HardResetClientV3 = 10,

    /// <summary>P_CONTROL_WKC_V1: control packet carrying the WKc again (tls-crypt-v2 with HMAC cookie).</summary>
    ControlWkcV1 = 11,
}

/// <summary>Helpers over the opcode byte.</summary>
public static class OpenVpnOpcodes
{
    /// <summary>Highest opcode defined (P_LAST_OPCODE in ssl_pkt.h).</summary>
    public const int Last = 11;

    /// <summary>Opcode of a first byte, or <see cref="OpenVpnOpcode.Invalid"/>.</summary>
    public static OpenVpnOpcode Of(byte first)
    {
        int op = first >> 3;
        return op is >= 1 and <= Last ? (OpenVpnOpcode)op : OpenVpnOpcode.Invalid;
    }

    /// <summary>key_id: the low 3 bits of the first byte.</summary>
    public static int KeyId(byte first) => first & 0x07;

    public static bool IsClientReset(OpenVpnOpcode op) =>
        op is OpenVpnOpcode.HardResetClientV1 or OpenVpnOpcode.HardResetClientV2 or OpenVpnOpcode.HardResetClientV3;

    public static bool IsServerReset(OpenVpnOpcode op) =>
        op is OpenVpnOpcode.HardResetServerV1 or OpenVpnOpcode.HardResetServerV2;

    public static bool IsReset(OpenVpnOpcode op) => IsClientReset(op) || IsServerReset(op);

    public static bool IsData(OpenVpnOpcode op) => op is OpenVpnOpcode.DataV1 or OpenVpnOpcode.DataV2;

    /// <summary>Every opcode but the data ones: packets with a session id and the control-channel layout.</summary>
    public static bool IsControlFamily(OpenVpnOpcode op) => op != OpenVpnOpcode.Invalid && !IsData(op);

    /// <summary>The name as in ssl_pkt.h (cold path).</summary>
    public static string Name(OpenVpnOpcode op) => op switch
    {
        OpenVpnOpcode.HardResetClientV1 => "P_CONTROL_HARD_RESET_CLIENT_V1",
        OpenVpnOpcode.HardResetServerV1 => "P_CONTROL_HARD_RESET_SERVER_V1",
        OpenVpnOpcode.SoftResetV1 => "P_CONTROL_SOFT_RESET_V1",
        OpenVpnOpcode.ControlV1 => "P_CONTROL_V1",
        OpenVpnOpcode.AckV1 => "P_ACK_V1",
        OpenVpnOpcode.DataV1 => "P_DATA_V1",
        OpenVpnOpcode.HardResetClientV2 => "P_CONTROL_HARD_RESET_CLIENT_V2",
        OpenVpnOpcode.HardResetServerV2 => "P_CONTROL_HARD_RESET_SERVER_V2",
        OpenVpnOpcode.DataV2 => "P_DATA_V2",
        OpenVpnOpcode.HardResetClientV3 => "P_CONTROL_HARD_RESET_CLIENT_V3",
        OpenVpnOpcode.ControlWkcV1 => "P_CONTROL_WKC_V1",
        _ => "invalid",
    };
}
