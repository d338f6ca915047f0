namespace TrafficSentinel.Engine.Tests.Protocols.OpenVpn;

/// <summary>OpenVPN packets copied byte for byte from real captures (UDP payloads; TCP PDUs without the length prefix).</summary>
internal static class OpenVpnSamples
{
    // ../shared/captures/ndpi/openvpn_nohmac.pcapng frame 1, client → server, no HMAC:
    // 38 = P_CONTROL_HARD_RESET_CLIENT_V2 key 0 · 39fded2daa10a437 session id · 00 no acks · 00000000 message packet-id 0
    public const string PlainClientReset = "38" + "39fded2daa10a437" + "00" + "00000000";

    // same capture frame 2, server → client:
    // 40 = P_CONTROL_HARD_RESET_SERVER_V2 · 9421917de7267729 session id · 01 one ack · 00000000 acked id
    // · 39fded2daa10a437 remote session id (the client's, echoed) · 00000000 message packet-id 0
    public const string PlainServerReset = "40" + "9421917de7267729" + "01" + "00000000" + "39fded2daa10a437" + "00000000";

    // same capture frame 3: 28 = P_ACK_V1 · session id · 01 ack · 00000000 acked id · remote session id (nothing else)
    public const string PlainAck = "28" + "39fded2daa10a437" + "01" + "00000000" + "9421917de7267729";

    // captures/openvpn-udp-1194-tls-auth.pcap frame 1 (tls-auth, HMAC-SHA1):
    // 38 · 2746a163d38818fc session id · 20-byte HMAC · 00000001 replay packet-id · 6b033c28 net_time
    // · 00 no acks · 00000000 message packet-id 0
    public const string TlsAuthClientReset = "38" + "2746a163d38818fc" + "37a41cc13bf87ea93ece91246afae5f39e087113" + "00000001" + "6b033c28" + "00" + "00000000";

    // frame 2: 40 · e42b1c899dedd1aa · HMAC · 00000001 · 6b033c28 · 01 ack · 00000000 · 2746a163d38818fc (echo) · 00000000
    public const string TlsAuthServerReset = "40" + "e42b1c899dedd1aa" + "b3e73cd14a91d8106f8623f1a5384425120336db" + "00000001" + "6b033c28" + "01" + "00000000" + "2746a163d38818fc" + "00000000";

    // captures/openvpn-udp-1194-tls-crypt.pcap frame 1 (tls-crypt):
    // 38 · 7db3d0c0bd8d0455 session id · 00000001 replay packet-id · 6b033c30 net_time · 32-byte tag · 5 encrypted bytes
    public const string TlsCryptClientReset = "38" + "7db3d0c0bd8d0455" + "00000001" + "6b033c30"
        + "71c80bcda8135643c991061ce5779c14b6f8add7553585bdbf1a4482d8090301" + "373378f5c4";

    // frame 2: 40 · a2ff23f3b8d42322 · 00000001 · 6b033c30 · tag · 17 encrypted bytes (ack array + message id)
    public const string TlsCryptServerReset = "40" + "a2ff23f3b8d42322" + "00000001" + "6b033c30"
        + "884d3518822471e8559ddd6eec9f8f18abb09db60764a44676855a0a1c40e3e7" + "ebad875fab93ac20f4692d6c2e8a90d18d";

    // captures/openvpn-udp-1194-tls-crypt-v2.pcap frame 1: 50 = P_CONTROL_HARD_RESET_CLIENT_V3 · 457ebada1f81680d session id
    // · 0f000001 replay packet-id with the 2.6 EARLY_NEG_START marker · 6b033c36 net_time · tag · encrypted · WKc (299 bytes,
    // its length 012b in the last 2 bytes)
    public const string TlsCryptV2ClientReset =
        "50457ebada1f81680d0f0000016b033c3660846fa522a236a174780d4cf27f8fa676106ba7f46b0bad39d51793796d6e931a99d0534aadd8c906ce60e8787f715d14d06498fe31651611e093a9af818052fee66ae800426cd83a74022cd90940b87f4dd89364b33d69af517953ac57409e20584b2aceecab4c3dcfe755b5e2a07bf176378e25b4bb3fb00531b0c54939657235e0a63cfcf4c0ea347e3f8cf91d88eb21b4c21fe1982ffd5bbe254a99b7a4d19d36a13de4f02febf2f30309bffcfa9f24eef2ed960f66f5d269e87d6d7ece30d9f7bb9fa8e60ded3cf214c30e4d334dd10d93dfab0812cd787d748c82436de362d120fe94e71815d0b92432a9eed5a895ea3ff3bde0ae37403c28c1acaafcb35836190c7e80954f3f6040396de530e3af946c613ebdd814ed0b5b95977d34a1ec6022967d4dd650f2f7f8bffc41d9693d40e6ebf9aaf3fc0030d62be471ada586dc17bfc12a3447ec0143a006012b";

    // captures/openvpn-udp-1194-tls-auth-midflow.pcap, a data packet (AEAD):
    // 48 = P_DATA_V2 key 0 · 000000 peer-id 0 · 00000009 packet-id 9 · 16-byte tag · ciphertext
    public const string DataV2 = "48" + "000000" + "00000009" + "d0bac06e0b99a8cec691add48887b60e" + "848ba21965c39025caefbebc380d18d2c312e907cc019a3968435366ca66e6f70f2af4bc";

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    public static IEnumerable<string> All =>
        [PlainClientReset, PlainServerReset, PlainAck, TlsAuthClientReset, TlsAuthServerReset, TlsCryptClientReset, TlsCryptServerReset, TlsCryptV2ClientReset, DataV2];
}
