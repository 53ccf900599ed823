#!/usr/bin/env python3
"""Decodes the exporter's delimited protobuf exposition with an independent parser: splits the
body at its varint length prefixes and hands each MetricFamily to
`protoc --decode=io.prometheus.client.MetricFamily` against the .proto. Prints protoc's text
format of every family, separated by a line "---". Fails (exit 1) on a bad length prefix, a
trailing partial message or any message protoc cannot decode.

usage: pb_decode.py PROTO_FILE < body"""
import os
import subprocess
import sys


def main():
    proto = sys.argv[1]
    data = sys.stdin.buffer.read()
    i, n = 0, 0
    out = []
    while i < len(data):
        length, shift = 0, 0
        while True:
            if i >= len(data) or shift > 63:
                sys.exit(f"pb_decode: bad varint at byte {i}")
            b = data[i]
            i += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if i + length > len(data):
            sys.exit(f"pb_decode: message {n} wants {length} bytes, {len(data) - i} left")
        msg = data[i:i + length]
        i += length
        r = subprocess.run(["protoc", "--decode=io.prometheus.client.MetricFamily",
                            "-I", os.path.dirname(os.path.abspath(proto)), os.path.basename(proto)],
                           input=msg, capture_output=True, check=False)
        if r.returncode != 0:
            sys.exit(f"pb_decode: message {n}: protoc: {r.stderr.decode(errors='replace')}")
        out.append(r.stdout.decode())
        n += 1
    sys.stdout.write("---\n".join(out))
    print(f"# {n} families", file=sys.stderr)


if __name__ == "__main__":
    main()
