#!/usr/bin/python3
"""Small pcap helper for the capture generator (standard library only).

  pcaptool.py label    PCAP TRUTH NOTE            -> labels.csv rows for every IP flow in PCAP
  pcaptool.py midflow  SRC DST SKIP LABELS NOTE   -> copy SRC without its first SKIP packets; rows for DST
  pcaptool.py merge    DST LABELS SRC...          -> merge SRCs by timestamp into DST; rows for DST
  pcaptool.py check    DIR                        -> verify DIR/labels.csv against every pcap in DIR

Rows are printed to stdout (no header); the generator appends them to labels.csv.
Flows are bidirectional: (l4, unordered pair of (ip, port)); ports are 0 for port-less protocols.
The client is the sender of a TCP SYN without ACK, otherwise the sender of the flow's first packet.
"""
import csv
import ipaddress
import os
import struct
import sys

HEADER = ["file", "l4", "client_ip", "client_port", "server_ip", "server_port", "packets",
          "ndpi_proto", "ndpi_category", "truth", "note"]
TRUTHS = {"openvpn", "wireguard", "tor", "ipsec", "l2tp", "pptp", "sstp", "anyconnect", "softether",
          "shadowsocks", "psiphon", "ultrasurf", "other-vpn", "benign"}
L4_NAMES = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 51: "AH", 58: "ICMPV6", 132: "SCTP"}


def read_pcap(path):
    """Returns (global_header_bytes, linktype, little_endian, [(hdr_bytes, data_bytes, ts)])."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", blob[20:24])[0] & 0x0FFFFFFF
    recs = []
    off = 24
    while off + 16 <= len(blob):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", blob[off:off + 16])
        data = blob[off + 16:off + 16 + incl]
        recs.append((blob[off:off + 16], data, sec + frac / (1e9 if nano else 1e6)))
        off += 16 + incl
    return blob[:24], linktype, endian, recs


def ip_payload(linktype, data):
    """Returns the IP packet inside a frame, or None."""
    if linktype == 1:  # Ethernet
        off, etype = 14, struct.unpack("!H", data[12:14])[0] if len(data) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(data) >= off + 4:
            etype = struct.unpack("!H", data[off + 2:off + 4])[0]
            off += 4
        return data[off:] if etype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux cooked
        etype = struct.unpack("!H", data[14:16])[0] if len(data) >= 16 else 0
        return data[16:] if etype in (0x0800, 0x86DD) else None
    if linktype in (101, 12, 228, 229):  # raw IP
        return data
    return None


def flow_of(linktype, data):
    """Returns (l4, src, sport, dst, dport, is_syn) or None for non-IP frames."""
    pkt = ip_payload(linktype, data)
    if not pkt:
        return None
    ver = pkt[0] >> 4
    if ver == 4 and len(pkt) >= 20:
        ihl = (pkt[0] & 0x0F) * 4
        proto = pkt[9]
        src, dst = str(ipaddress.IPv4Address(pkt[12:16])), str(ipaddress.IPv4Address(pkt[16:20]))
        frag_off = struct.unpack("!H", pkt[6:8])[0] & 0x1FFF
        l4 = pkt[ihl:] if frag_off == 0 else b""
    elif ver == 6 and len(pkt) >= 40:
        proto = pkt[6]
        src, dst = str(ipaddress.IPv6Address(pkt[8:24])), str(ipaddress.IPv6Address(pkt[24:40]))
        off = 40
        l4 = b""
        while True:
            if proto in (0, 43, 60) and len(pkt) >= off + 2:
                proto, off = pkt[off], off + (pkt[off + 1] + 1) * 8
                continue
            if proto == 44 and len(pkt) >= off + 8:
                first = (struct.unpack("!H", pkt[off + 2:off + 4])[0] >> 3) == 0
                proto, off = pkt[off], off + 8
                if not first:
                    break
                continue
            l4 = pkt[off:]
            break
    else:
        return None
    name = L4_NAMES.get(proto, f"IP{proto}")
    sport = dport = 0
    syn = False
    if proto in (6, 17, 132) and len(l4) >= 4:
        sport, dport = struct.unpack("!HH", l4[:4])
        if proto == 6 and len(l4) >= 14:
            syn = (l4[13] & 0x12) == 0x02
    return name, src, sport, dst, dport, syn


def flows(path):
    """Ordered dict key -> [l4, client_ip, client_port, server_ip, server_port, packets]."""
    _, linktype, _, recs = read_pcap(path)
    table = {}
    for _, data, _ in recs:
        f = flow_of(linktype, data)
        if f is None:
            continue
        name, src, sport, dst, dport, syn = f
        key = (name, frozenset({(src, sport), (dst, dport)}))
        row = table.get(key)
        if row is None:
            table[key] = [name, src, sport, dst, dport, 1]
        else:
            row[5] += 1
            if syn and (row[1], row[2]) != (src, sport):
                row[1:5] = [src, sport, dst, dport]
    return table


def key_of_row(r):
    return (r["l4"], frozenset({(str(ipaddress.ip_address(r["client_ip"])), int(r["client_port"])),
                                (str(ipaddress.ip_address(r["server_ip"])), int(r["server_port"]))}))


def emit(rows):
    w = csv.writer(sys.stdout, lineterminator="\n")
    for r in rows:
        w.writerow(r)


def cmd_label(path, truth, note):
    if truth not in TRUTHS:
        sys.exit(f"unknown truth {truth}")
    emit([os.path.basename(path), *v, "-", "-", truth, note] for v in flows(path).values())


def load_labels(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_pcap(path, ghdr, recs):
    with open(path, "wb") as f:
        f.write(ghdr)
        for hdr, data, _ in recs:
            f.write(hdr)
            f.write(data)


def relabel(dst, labels, source_names, extra_note):
    """Rows for dst: orientation, truth and note from the source files' rows, counts from dst."""
    src_rows = {}
    for r in labels:
        if r["file"] in source_names:
            src_rows.setdefault(key_of_row(r), r)
    out = []
    for key, v in flows(dst).items():
        r = src_rows.get(key)
        if r is None:
            sys.exit(f"{dst}: flow {v} has no row in the source labels")
        note = r["note"] + (f"; {extra_note}" if extra_note else "")
        out.append([os.path.basename(dst), r["l4"], r["client_ip"], r["client_port"], r["server_ip"],
                    r["server_port"], v[5], "-", "-", r["truth"], note])
    return out


def cmd_midflow(src, dst, skip, labels_path, note):
    ghdr, _, _, recs = read_pcap(src)
    rest = recs[int(skip):]
    if not rest:
        print(f"{src}: nothing left after removing {skip} packets; no copy written", file=sys.stderr)
        return
    write_pcap(dst, ghdr, rest)
    emit(relabel(dst, load_labels(labels_path), {os.path.basename(src)}, note))


def cmd_merge(dst, labels_path, srcs):
    allrecs = []
    ghdr = None
    link = None
    for s in srcs:
        g, lt, _, recs = read_pcap(s)
        if ghdr is None:
            ghdr, link = g, lt
        elif lt != link or g[:4] != ghdr[:4]:
            sys.exit(f"{s}: link type or byte order differs from {srcs[0]}")
        allrecs.extend(recs)
    allrecs.sort(key=lambda r: r[2])
    write_pcap(dst, ghdr, allrecs)
    emit(relabel(dst, load_labels(labels_path), {os.path.basename(s) for s in srcs}, ""))


def cmd_check(folder):
    labels = load_labels(os.path.join(folder, "labels.csv"))
    problems = []
    by_file = {}
    for r in labels:
        if r["truth"] not in TRUTHS:
            problems.append(f"unknown truth {r['truth']!r} in {r['file']}")
        by_file.setdefault(r["file"], {})[key_of_row(r)] = r
    pcaps = sorted(n for n in os.listdir(folder) if n.endswith(".pcap"))
    for n in pcaps:
        got = flows(os.path.join(folder, n))
        want = by_file.get(n, {})
        if not want:
            problems.append(f"{n}: no label rows")
        for k, v in got.items():
            if k not in want:
                problems.append(f"{n}: unlabelled flow {v}")
            elif int(want[k]["packets"]) != v[5]:
                problems.append(f"{n}: packets {want[k]['packets']} != {v[5]} for {v}")
        for k in want:
            if k not in got:
                problems.append(f"{n}: labelled flow not in pcap {sorted(k[1])}")
    for n in by_file:
        if n not in pcaps:
            problems.append(f"labels.csv names missing file {n}")
    for p in problems:
        print("PROBLEM:", p)
    print(f"checked {len(pcaps)} pcaps, {len(labels)} rows, {len(problems)} problems")
    return 1 if problems else 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "label" and len(args) == 3:
        cmd_label(*args)
    elif cmd == "midflow" and len(args) == 5:
        cmd_midflow(*args)
    elif cmd == "merge" and len(args) >= 3:
        cmd_merge(args[0], args[1], args[2:])
    elif cmd == "check" and len(args) == 1:
        return cmd_check(args[0])
    elif cmd == "header":
        emit([HEADER])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
