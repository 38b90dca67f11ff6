#!/usr/bin/env python3
"""Writes the small example data sets of the README's Gaussian and
categorical examples (Python 3 standard library only, deterministic):

  grbm2d.csv    100,000 rows of a 2-D mixture of two independent Laplacian
                sources (mean 1, scale 1) through a random 2x2 mixing matrix
                (entries uniform in [-0.5, 0.5]): the data of PyDeep's GRBM_2D
                tutorial (before its ZCA whitening, which boltz does with
                --whiten). Train on the first half, evaluate on the second.
  family.fasta  600 aligned sequences of length 24 in the alphabet
                ACDEFGHIKLMNPQRSTVWY- : a toy protein family of two
                subfamilies, with pairs of coupled positions (a residue at
                one position of a pair decides the other's) and gaps.
  family_test.fasta  200 more sequences of the same family.

usage: scripts/make_unit_examples.py [OUTDIR]   (default: the current directory)
"""
import math
import os
import random
import sys

ALPHABET = "ACDEFGHIKLMNPQRSTVWY-"


def laplace(rng, mean, scale):
    u = rng.random() - 0.5
    while u == -0.5:
        u = rng.random() - 0.5
    return mean - scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))


def grbm2d(path, n=100000, seed=42):
    rng = random.Random(seed)
    a = [[rng.random() - 0.5 for _ in range(2)] for _ in range(2)]
    with open(path, "w") as f:
        f.write("x1,x2\n")
        for _ in range(n):
            s = (laplace(rng, 1.0, 1.0), laplace(rng, 1.0, 1.0))
            x = (a[0][0] * s[0] + a[0][1] * s[1], a[1][0] * s[0] + a[1][1] * s[1])
            f.write("%.9g,%.9g\n" % x)
    return a


def family(path, n, seed, length=24):
    rng = random.Random(7)  # the family (its consensus sequences) is the same for every file
    # Two subfamilies: a consensus each, mutated at rate 0.15; positions
    # (2k, 2k+1) for k < 4 are coupled: the second follows the first.
    cons = [[rng.choice(ALPHABET[:20]) for _ in range(length)] for _ in range(2)]
    partner = {"A": "W", "C": "Y", "D": "K", "E": "R", "F": "L", "G": "P", "H": "S", "I": "V", "K": "D", "L": "F",
               "M": "T", "N": "Q", "P": "G", "Q": "N", "R": "E", "S": "H", "T": "M", "V": "I", "W": "A", "Y": "C"}
    rng = random.Random(seed)  # the sequences differ between files
    with open(path, "w") as f:
        for i in range(n):
            sub = rng.randrange(2)
            seq = list(cons[sub])
            for j in range(length):
                if rng.random() < 0.15:
                    seq[j] = rng.choice(ALPHABET)
            for k in range(4):
                if seq[2 * k] != "-":
                    seq[2 * k + 1] = partner[seq[2 * k]]
            if rng.random() < 0.2:  # a gap run at the end
                g = rng.randrange(1, 5)
                seq[length - g:] = "-" * g
            f.write(">seq%d subfamily=%d\n%s\n" % (i, sub, "".join(seq)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    a = grbm2d(os.path.join(out, "grbm2d.csv"))
    family(os.path.join(out, "family.fasta"), 600, 7)
    family(os.path.join(out, "family_test.fasta"), 200, 8)
    print("wrote grbm2d.csv (mixing matrix %s), family.fasta, family_test.fasta to %s" % (a, out))


if __name__ == "__main__":
    main()
