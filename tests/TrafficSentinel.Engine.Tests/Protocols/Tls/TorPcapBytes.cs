namespace TrafficSentinel.Engine.Tests.Protocols.Tls;

/// <summary>
/// Literal bytes from nDPI's tor.pcap (a Tor client of 2013, TLS 1.0), flow 192.168.1.252:51174 →
/// 212.83.155.250:443, which nDPI itself does not label Tor: frame 310 (the client's first payload)
/// and frame 313 (the relay's first flight).
/// </summary>
internal static class TorPcapBytes
{
    /// <summary>Frame 310: one record holding the ClientHello, 209 bytes.</summary>
    public static readonly byte[] ClientHelloRecord = Convert.FromHexString(
        "16030100cc" + // record: handshake, TLS 1.0, 204 bytes
        "010000c8" + // handshake: ClientHello, 200 bytes
        "0301" + // client_version TLS 1.0
        "527b813714c6089f1af66bf2c6741a3b898e97df0a31a70c300761385fede0e7" + // random
        "00" + // session id: empty
        "0048" + // cipher suites: 72 bytes (36 suites)
        "c00ac0140088008700390038c00fc00500840035c007c009c011c0130045004400330032" + // suites 1-18
        "c00cc00ec002c0040096004100040005002fc008c01200160013c00dc003feff000a00ff" + // suites 19-36
        "0100" + // compression: 1 method, null
        "0057" + // extensions: 87 bytes
        "00000013" + // server_name, 19 bytes
        "0011" + // server name list, 17 bytes
        "00000e" + // host_name, 14 bytes
        "7777772e7433693372752e636f6d" + // "www.t3i3ru.com"
        "000b000403000102" + // ec_point_formats, 4 bytes: 3 formats
        "000a00340032" + // supported_groups, 52 bytes: list of 50
        "000100020003000400050006000700080009000a000b000c000d000e000f0010001100120013001400150016001700180019"); // groups 1-25

    /// <summary>Frame 313: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone in four records, 743 bytes.</summary>
    public static readonly byte[] ServerFlight = Convert.FromHexString(
        "1603010039" + // record: handshake, TLS 1.0, 57 bytes
        "02000035" + // handshake: ServerHello, 53 bytes
        "0301" + // server_version TLS 1.0
        "527b72f9dd7da912727eb0c34aef22d48ff5baa4edbe3517b1e15c099f40c113" + // random
        "00" + // session id: empty
        "c013" + // cipher suite 0xC013 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
        "00" + // compression null
        "000d" + // extensions: 13 bytes
        "ff01000100000b000403000102" + // renegotiation_info (empty), ec_point_formats (uncompressed, ansiX962_compressed_prime, ..._char2)
        "16030101cb" + // record: handshake, TLS 1.0, 459 bytes
        "0b0001c7" + // handshake: Certificate, 455 bytes
        "0001c4" + // certificate_list: 452 bytes
        "0001c1" + // certificate: 449 bytes
        "308201bd" + // Certificate SEQUENCE, 445 bytes
        "30820126" + // tbsCertificate SEQUENCE, 294 bytes
        "a003020102" + // [0] version v3
        "020820597b1bf36c9515" + // serialNumber
        "300d06092a864886f70d0101050500" + // signature: sha1WithRSAEncryption
        "3021311f301d060355040313167777772e776f686770617334356a367563772e636f6d" + // issuer: SET { SEQ { 2.5.4.3 commonName, UTF8String www.wohgpas45j6ucw.com } }
        "301e170d3133303931313030303030305a170d3133313132343233353935395a" + // validity: UTCTime 130911000000Z, UTCTime 131124235959Z
        "3021311f301d060355040313167777772e376434336168326b696b7261626a2e6e6574" + // subject: SET { SEQ { 2.5.4.3 commonName, UTF8String www.7d43ah2kikrabj.net } }
        "30819f300d06092a864886f70d010101050003818d0030818902818100ca494a40642471cb73f771e02278f6b7580b944793ade6254e3b79715b849e4461be7a" + // subjectPublicKeyInfo (RSA 1024), signatureAlgorithm, signature
        "7104185465c0ce49f7da031f7e4b4445143b9da8bf3f4de0d9230ac208ec5cc0555bfb3532b537c473c972e4c0351bb4b977623fc79caf834e2b649448f7fab9" + // ...
        "92cf2ca572471f34b2cf0a114f1e7497de884ed237c8f40d79548755470203010001300d06092a864886f70d010105050003818100b7f0a1424c1821843af1a4" + // ...
        "e10550300a644e1b091ba0e3758c6fa8ef368fc13d7438f30b1858cfd2fb8ecac023ea5d550d083c8c17ec2f276691067477ec3fbf6b23bfa7b4650425700ce3" + // ...
        "40f48664db47ac96021ea6390ce7c1dbcab8d8bf93c9a72aa007406c0f3249e34d0ad3fd312f6f50da93826e67f9fd039afeca07ba" + // ...
        "16030100cb0c0000c70300174104aa9a68c105d7609b4a9cdb03af70a30e82913dd4b2f06ccf5857f6a56e7d6ed6b508305dd8ad030051d36bed3608c5439913" + // record: handshake, TLS 1.0, 203 bytes: ServerKeyExchange
        "5ab57b4382e8c84a3fa7f529a4ed00806f7cc0309104d1986d4557e1db80602d05ef2ea3b3a61056c3aee2cce7ab555cf86e235e9875043a4370c43fbda329cf" + // ...
        "420314390477303bf0e58516ec6492ef2733333617aae0ea583ace63c36cee068faec43561b4944ee3bb9ab7cd2ea1d80f5b128e9caa7c89f64b7ccb2d9efea2" + // ...
        "97fabce3b82f26cedd67fd25d14d142b" + // ...
        "16030100040e000000"); // record: handshake, TLS 1.0, 4 bytes: ServerHelloDone
}
