#!/usr/bin/python3
"""Writes synthetic binary sparse data sets for boltz's sparse input.

  scripts/make_sparse.py uniform OUT.npz [--rows 1000000 --cols 100000 --density 0.001]
  scripts/make_sparse.py bow OUT.npz     [--rows 50000 --cols 20000 --density 0.005]
  scripts/make_sparse.py ... OUT.svm     (svmlight text instead, written line by line)

uniform: every row holds about density*cols columns drawn uniformly (the
memory benchmark: 1,000,000 x 100,000 at 0.1 % is 1e8 nonzeros).
bow: a bag-of-words set: each row's words are drawn from a Zipf law over the
features (p_j proportional to 1/(j+1)), as many draws as give the target
density of distinct words on average; the value is 1 where a word occurs.

The .npz is what scipy.sparse.save_npz writes (a zip of indices.npy,
indptr.npy, format.npy, shape.npy, data.npy), stored uncompressed, built a
block of rows at a time (memory: the nonzeros, 5 bytes each, twice). The
svmlight file is written a block at a time too. Deterministic for --seed.
"""
import argparse
import sys

import numpy as np


def blocks(kind, rows, cols, density, seed, block=20000):
    """Yields (indptr offsets of the block, indices) a block of rows at a time."""
    rng = np.random.default_rng(seed)
    if kind == "bow":
        p = 1.0 / np.arange(1, cols + 1)
        p /= p.sum()
        cdf = np.cumsum(p)
        target = density * cols

        def distinct(n):  # expected distinct words in n draws
            return float(np.sum(-np.expm1(n * np.log1p(-p))))

        lo, hi = target, 1000 * target
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if distinct(mid) < target else (lo, mid)
        draws = int(round(hi))
    else:
        draws = int(round(density * cols))
    for r0 in range(0, rows, block):
        n = min(block, rows - r0)
        if kind == "bow":
            tok = np.searchsorted(cdf, rng.random((n, draws)), side="right")
            tok = np.minimum(tok, cols - 1)
        else:
            tok = rng.integers(0, cols, size=(n, draws))
        tok = np.sort(tok.astype(np.int32), axis=1)
        keep = np.ones(tok.shape, dtype=bool)
        keep[:, 1:] = tok[:, 1:] != tok[:, :-1]
        counts = keep.sum(axis=1)
        yield counts, tok[keep]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["uniform", "bow"])
    ap.add_argument("out")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--cols", type=int)
    ap.add_argument("--density", type=float)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    defaults = {"uniform": (1_000_000, 100_000, 0.001), "bow": (50_000, 20_000, 0.005)}[a.kind]
    rows = a.rows or defaults[0]
    cols = a.cols or defaults[1]
    density = a.density or defaults[2]
    gen = blocks(a.kind, rows, cols, density, a.seed)
    if a.out.endswith(".npz"):
        counts, parts = [], []
        for c, idx in gen:
            counts.append(c)
            parts.append(idx)
        counts = np.concatenate(counts)
        indices = np.concatenate(parts)
        del parts
        itype = np.int32 if len(indices) < 2**31 else np.int64
        indptr = np.zeros(rows + 1, dtype=itype)
        np.cumsum(counts, out=indptr[1:])
        np.savez(a.out, indices=indices.astype(itype, copy=False), indptr=indptr,
                 format=np.array(b"csr"), shape=np.array([rows, cols], dtype=np.int64),
                 data=np.ones(len(indices), dtype=bool))
        nnz = len(indices)
    else:
        nnz = 0
        with open(a.out, "w") as f:
            for c, idx in gen:
                starts = np.concatenate([[0], np.cumsum(c)])
                lines = []
                for i in range(len(c)):
                    row = idx[starts[i]:starts[i + 1]] + 1
                    lines.append("1 " + " ".join(f"{j}:1" for j in row.tolist()) + "\n")
                f.write("".join(lines))
                nnz += len(idx)
    print(f"{a.out}: {rows} x {cols}, {nnz} nonzeros ({100 * nnz / rows / cols:.3g} % dense)", file=sys.stderr)


if __name__ == "__main__":
    main()
