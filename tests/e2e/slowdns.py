#!/usr/bin/env python3
"""slowdns.py - a DNS server for tests that answers only when told to.

Usage: slowdns.py DIR   (listens on 127.0.0.1:53/udp; run it in a network
namespace of its own, where that port is free)

Every query it receives is appended to DIR/dns.log ("query NAME TYPE") the
moment it arrives, so a test knows a lookup is in progress. Queries are held
until the file DIR/dns.release exists; then every held and later query is
answered: names under .test get A 127.0.0.1 (AAAA: no data), others
NXDOMAIN. DIR/dns.ready appears once the socket is bound. Stdlib only.
"""

import os
import socket
import struct
import sys
import time

POLL_S = 0.02


def parse_question(pkt):
    """(id, flags, name, qtype, end of the question) of a query."""
    qid, flags, qdcount = struct.unpack("!HHH", pkt[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    labels, i = [], 12
    while pkt[i] != 0:
        n = pkt[i]
        labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, _ = struct.unpack("!HH", pkt[i + 1:i + 5])
    return qid, flags, ".".join(labels).lower(), qtype, i + 5


def answer(pkt):
    qid, flags, name, qtype, end = parse_question(pkt)
    known = name.endswith(".test")
    rd = flags & 0x0100
    rcode = 0 if known else 3
    ancount = 1 if known and qtype == 1 else 0
    head = struct.pack("!HHHHHH", qid, 0x8080 | rd | rcode, 1, ancount, 0, 0)
    body = pkt[12:end]
    if ancount:
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + socket.inet_aton("127.0.0.1")
    return head + body


def main():
    d = sys.argv[1]
    log = open(os.path.join(d, "dns.log"), "a", buffering=1)
    release = os.path.join(d, "dns.release")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))
    s.settimeout(POLL_S)
    open(os.path.join(d, "dns.ready"), "w").close()
    held = []
    while True:
        try:
            pkt, peer = s.recvfrom(4096)
            try:
                _, _, name, qtype, _ = parse_question(pkt)
                log.write("query %s %d %.3f\n" % (name, qtype, time.monotonic()))
                held.append((pkt, peer))
            except (ValueError, IndexError, struct.error):
                pass
        except socket.timeout:
            pass
        if held and os.path.exists(release):
            for pkt, peer in held:
                s.sendto(answer(pkt), peer)
            held = []


if __name__ == "__main__":
    main()
