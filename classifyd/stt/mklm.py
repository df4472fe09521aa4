#!/usr/bin/env python3
"""Builds classifyd's IVR language model and dictionary.

    mklm.py PHRASES CMUDICT EXTRA_DICT OUT_LM OUT_DICT

Expands the phrase list (format at the top of ivr-phrases.txt) into
sentences, counts trigrams and writes a Witten-Bell smoothed backoff
trigram model in ARPA format, plus the pronunciations of its words taken
from the CMU dictionary (EXTRA_DICT first: words it lacks).  Deterministic:
the same input gives the same files.
"""
import math
import random
import re
import sys
from collections import defaultdict

MAX_EXPAND = 40
BOS, EOS = "<s>", "</s>"


def parse(path):
    classes, phrases = {}, []
    with open(path, encoding="utf-8") as fp:
        for lineno, raw in enumerate(fp, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^@([A-Z]+)\s*=\s*(.*)$", line)
            if m:
                alts = [a.split() for a in m.group(2).split("|")]
                if any(not a for a in alts):
                    sys.exit(f"{path}:{lineno}: empty alternative")
                classes[m.group(1)] = alts
                continue
            weight = 1
            m = re.match(r"^(\d+)\*\s*(.*)$", line)
            if m:
                weight, line = int(m.group(1)), m.group(2)
            for tok in line.split():
                if tok.startswith("$") and tok[1:] not in classes:
                    sys.exit(f"{path}:{lineno}: unknown class {tok}")
            phrases.append((weight, line.split()))
    return classes, phrases


def expand(classes, phrases, seed=1):
    rng = random.Random(seed)
    out = []
    for weight, toks in phrases:
        slots = [t[1:] for t in toks if t.startswith("$")]
        total = 1
        for s in slots:
            total *= len(classes[s])
        n = min(total, MAX_EXPAND) * weight
        for _ in range(n):
            words = []
            for t in toks:
                if t.startswith("$"):
                    words.extend(rng.choice(classes[t[1:]]))
                else:
                    words.append(t)
            out.append(words)
    return out


def read_dict(paths):
    pron = defaultdict(list)
    for path in paths:
        with open(path, encoding="utf-8") as fp:
            for line in fp:
                parts = line.split()
                if len(parts) < 2:
                    continue
                word = re.sub(r"\(\d+\)$", "", parts[0])
                pron[word].append(" ".join(parts[1:]))
    return pron


def witten_bell(sents):
    """Returns {order: {ngram: log10 prob}}, {order: {ngram: log10 bow}}."""
    counts = [None, defaultdict(int), defaultdict(int), defaultdict(int)]
    for s in sents:
        w = [BOS] + s + [EOS]
        for i in range(len(w)):
            if i > 0:
                counts[1][(w[i],)] += 1
            if i >= 1:
                counts[2][(w[i - 1], w[i])] += 1
            if i >= 2:
                counts[3][(w[i - 2], w[i - 1], w[i])] += 1
    vocab = sorted({g[0] for g in counts[1]} | {BOS})
    # history statistics: total count and distinct followers
    hist_n = [None, None, defaultdict(int), defaultdict(int)]
    hist_t = [None, None, defaultdict(int), defaultdict(int)]
    for order in (2, 3):
        for g, c in counts[order].items():
            hist_n[order][g[:-1]] += c
            hist_t[order][g[:-1]] += 1
    # unigrams: interpolated with a uniform distribution over the vocabulary
    n1 = sum(counts[1].values())
    t1 = len(counts[1])
    v = len(vocab) - 1  # <s> is never predicted
    prob = {1: {}, 2: {}, 3: {}}
    for w in vocab:
        if w == BOS:
            continue
        prob[1][(w,)] = (counts[1].get((w,), 0) + t1 / v) / (n1 + t1)

    def p_full(order, g):
        """Interpolated probability of g (len order), backing off as needed."""
        if order == 1:
            return prob[1][g]
        if g in prob[order]:
            return prob[order][g]
        return bow_lin[order - 1].get(g[:-1], 1.0) * p_full(order - 1, g[1:])

    bow_lin = {1: {}, 2: {}}
    for order in (2, 3):
        for g, c in counts[order].items():
            h = g[:-1]
            nh, th = hist_n[order][h], hist_t[order][h]
            lower = p_full(order - 1, g[1:])
            prob[order][g] = (c + th * lower) / (nh + th)
        # backoff weights of the histories of this order
        seen_p = defaultdict(float)
        seen_lower = defaultdict(float)
        for g in counts[order]:
            seen_p[g[:-1]] += prob[order][g]
            seen_lower[g[:-1]] += p_full(order - 1, g[1:])
        for h in hist_n[order]:
            num = 1.0 - seen_p[h]
            den = 1.0 - seen_lower[h]
            bow_lin[order - 1][h] = num / den if den > 1e-12 else 1.0
    logp = {o: {g: math.log10(p) for g, p in prob[o].items()} for o in prob}
    logp[1][(BOS,)] = -99.0
    logb = {o: {g: math.log10(b) if b > 0 else -99.0
                for g, b in bow_lin[o].items()} for o in bow_lin}
    return vocab, logp, logb


def write_arpa(path, logp, logb):
    with open(path, "w", encoding="utf-8") as fp:
        fp.write("# IVR trigram model made by mklm.py from ivr-phrases.txt\n")
        fp.write("\\data\\\n")
        for o in (1, 2, 3):
            fp.write(f"ngram {o}={len(logp[o])}\n")
        for o in (1, 2, 3):
            fp.write(f"\n\\{o}-grams:\n")
            for g in sorted(logp[o]):
                line = f"{logp[o][g]:.4f}\t{' '.join(g)}"
                if o < 3 and g in logb[o]:
                    line += f"\t{logb[o][g]:.4f}"
                elif o < 3:
                    line += "\t0.0000"
                fp.write(line + "\n")
        fp.write("\n\\end\\\n")


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: mklm.py PHRASES CMUDICT EXTRA_DICT OUT_LM OUT_DICT")
    phrases_path, cmudict, extra, out_lm, out_dict = sys.argv[1:]
    classes, phrases = parse(phrases_path)
    sents = expand(classes, phrases)
    extra_pron = read_dict([extra])
    cmu_pron = read_dict([cmudict])
    vocab, logp, logb = witten_bell(sents)
    missing = [w for w in vocab
               if w not in (BOS, EOS) and w not in extra_pron and w not in cmu_pron]
    if missing:
        sys.exit("no pronunciation for: " + " ".join(missing))
    write_arpa(out_lm, logp, logb)
    with open(out_dict, "w", encoding="utf-8") as fp:
        for w in vocab:
            if w in (BOS, EOS):
                continue
            prons = extra_pron.get(w) or cmu_pron[w]
            for i, p in enumerate(prons):
                fp.write(f"{w} {p}\n" if i == 0 else f"{w}({i + 1}) {p}\n")
    print(f"{len(sents)} sentences, {len(vocab) - 1} words, "
          f"{len(logp[2])} bigrams, {len(logp[3])} trigrams", file=sys.stderr)


if __name__ == "__main__":
    main()
