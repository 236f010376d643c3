#!/usr/bin/env python3
"""Stage breakdown of a callgrind profile of one ingest role.

usage: breakdown.py ROLE callgrind.out.PID   (ROLE: acord or twilight)

Reads `callgrind_annotate --inclusive=yes` and prints, per stage, the
instructions of the function that is that stage (inclusive), and the share
of the process total. Allocation is the self cost of the allocator (it
overlaps the other stages: it is where their allocations go).
"""
import re
import subprocess
import sys

STAGES = {
    "acord": [
        ("WebSocket framing (tungstenite read)", ["tungstenite::protocol::WebSocketContext::read"]),
        ("inflate (ZlibStreamDecoder::decode)", ["ZlibStreamDecoder as acord_core_gateway::decoder::Decoder>::decode"]),
        ("envelope scan (op/s/t and the bounds of d)", ["acord_core_gateway::payload::Envelope::parse_with", "acord_core_gateway::payload::scan::envelope"]),
        ("whole message handling: envelope, copy of d, the dispatch (Connection::recv)", ["acord_core_gateway::connection::Connection<K>::recv "]),
        ("channel hand-off (mpsc send + recv, user space)", ["tokio::sync::mpsc::chan::Rx<T,S>::recv", "tokio::sync::mpsc::bounded::OwnedPermit<T>::send", "tokio::sync::mpsc::bounded::Sender<T>::send"]),
        ("UTF-8 check (once, of the inflated message)", ["core::str::converts::from_utf8"]),
        ("typed deserialise (Event::parse)", ["acord::event::Event::parse"]),
    ],
    "twilight": [
        ("WebSocket framing (tokio-websockets)", ["tokio_websockets::proto::stream::WebSocketStream<T> as futures_core::stream::Stream>::poll_next"]),
        ("inflate (Decompressor::decompress)", ["twilight_gateway::compression::zlib::Decompressor::decompress"]),
        ("envelope scan (GatewayEventDeserializer::from_json)", ["GatewayEventDeserializer::from_json"]),
        ("typed deserialise (json::parse, envelope included)", ["twilight_gateway::json::parse"]),
    ],
}

LINE = re.compile(r"^\s*([0-9,]+) \(\s*[0-9.]+%\)\s+(.*)$")


def annotate(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", path],
        capture_output=True, text=True, check=True).stdout
    rows = []
    total = 0
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in m.group(2):
            total = n
        rows.append((n, m.group(2)))
    return total, rows


def main():
    role, path = sys.argv[1], sys.argv[2]
    total, rows = annotate(path, True)
    print(f"{role}: {total:,} instructions in total")
    print("| stage | instructions (M) | share |")
    print("|---|---|---|")
    for name, patterns in STAGES[role]:
        n = 0
        for pattern in patterns:
            # Function totals carry the object in brackets; inlined
            # attributions (file:function without it) are parts of them.
            hits = [c for c, text in rows if pattern in text and "[" in text]
            n += max(hits, default=0)
        print(f"| {name} | {n / 1e6:.1f} | {100 * n / total:.1f}% |")
    _, self_rows = annotate(path, False)
    alloc = sum(c for c, text in self_rows if re.search(r"malloc\.c|arena\.c|__rdl_|__rust_(alloc|dealloc|realloc)", text) and "[" in text)
    copy = sum(c for c, text in self_rows if re.search(r"memmove|memcpy", text) and "[" in text)
    print(f"| allocation (malloc/free/realloc self, all callers) | {alloc / 1e6:.1f} | {100 * alloc / total:.1f}% |")
    print(f"| memcpy/memmove self, all callers | {copy / 1e6:.1f} | {100 * copy / total:.1f}% |")


if __name__ == "__main__":
    main()
