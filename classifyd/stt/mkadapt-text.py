#!/usr/bin/env python3
"""Sentences for the acoustic adaptation of classifyd's offline engine.

    mkadapt-text.py PHRASES COUNT > TEXT

Draws COUNT utterances of one to three sentences from the expansion of the
IVR phrase list (the source of ivr.lm, see mklm.py), so that every word has
a pronunciation in ivr.dict.  Deterministic: a fixed seed of its own.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mklm  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkadapt-text.py PHRASES COUNT")
    classes, phrases = mklm.parse(sys.argv[1])
    sents = mklm.expand(classes, phrases, seed=20240601)
    rng = random.Random(7)
    for _ in range(int(sys.argv[2])):
        k = rng.choice((1, 2, 2, 3))
        print(" ".join(" ".join(rng.choice(sents)) for _ in range(k)))


if __name__ == "__main__":
    main()
