#!/usr/bin/env python3
"""Unpacks pocketsphinx's quantized mixture weights for sphinxtrain.

    sendump2mixw.py SENDUMP MIXTURE_WEIGHTS

The en-us model ships its mixture weights only as "sendump" (8-bit log
values); sphinxtrain's bw reads the Sphinx-III float file.  Writes the
weights, normalised per senone and stream, in that format.
"""
import struct
import sys
from array import array


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sendump2mixw.py SENDUMP MIXTURE_WEIGHTS")
    with open(sys.argv[1], "rb") as fp:
        data = fp.read()
    pos = 0

    def u32():
        nonlocal pos
        v = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        return v

    hdr = {}
    while True:
        n = u32()
        if n == 0:
            break
        s = data[pos:pos + n - 1].decode("ascii", "replace")
        pos += n
        k, _, v = s.partition(" ")
        hdr[k] = v
    shift = int(hdr.get("mixw_shift", "10"))
    n_feat = int(hdr.get("feature_count", "1"))
    if int(hdr.get("cluster_count", "0")) != 0:
        sys.exit(f"{sys.argv[1]}: clustered weights are not supported")
    n_cw, n_sen = u32(), u32()
    if pos + n_feat * n_cw * n_sen > len(data):
        sys.exit(f"{sys.argv[1]}: truncated")
    w = array("f", bytes(4 * n_sen * n_feat * n_cw))
    for f in range(n_feat):
        for c in range(n_cw):
            row = data[pos:pos + n_sen]
            pos += n_sen
            for s in range(n_sen):
                w[(s * n_feat + f) * n_cw + c] = 1.0001 ** -(row[s] << shift)
    for i in range(0, len(w), n_cw):
        tot = sum(w[i:i + n_cw])
        if tot > 0:
            for c in range(i, i + n_cw):
                w[c] /= tot
    head = b"s3\nversion 1.0\n"
    pad = (len(head) + len(b"endhdr\n")) & 3
    head += b" " * ((4 - pad) & 3) + b"endhdr\n"
    with open(sys.argv[2], "wb") as fp:
        fp.write(head)
        fp.write(struct.pack("=i", 0x11223344))
        fp.write(struct.pack("=IIII", n_sen, n_feat, n_cw, len(w)))
        w.tofile(fp)
    print(f"{n_sen} senones, {n_feat} streams, {n_cw} densities",
          file=sys.stderr)


if __name__ == "__main__":
    main()
