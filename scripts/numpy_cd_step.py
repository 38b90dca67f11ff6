#!/usr/bin/python3
"""Times one CD-1 step in numpy (OpenBLAS) on random binary data, for shapes the
MNIST peer script does not cover (V=H=4096, B=256 by default): three GEMMs with
bias + sigmoid, Bernoulli sampling of the data-driven hidden states, the two
gradient GEMMs and the update. Compare with `boltz bench` (case cd1 4096 4096 256).
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \\
        scripts/numpy_cd_step.py [V H B]
Prints the median of 5 timed steps (after one warm-up) and GFLOP/s at 10*B*V*H."""
import statistics, sys, time
import numpy as np

from openblas_info import print_openblas

print_openblas()

V, H, B = (int(a) for a in sys.argv[1:4]) if len(sys.argv) == 4 else (4096, 4096, 256)
rng = np.random.default_rng(1)
X = (rng.random((B, V)) < 0.13).astype(np.float32)
W = (0.01 * rng.standard_normal((H, V))).astype(np.float32)
b, c = np.zeros(V, np.float32), np.zeros(H, np.float32)
s = np.float32(0.1 / B)


def sig(a):
    return 1 / (1 + np.exp(-a))


def step():
    global W, b, c
    ph0 = sig(X @ W.T + c)
    sh0 = (rng.random(ph0.shape, dtype=np.float32) < ph0).astype(np.float32)
    pv1 = sig(sh0 @ W + b)
    ph1 = sig(pv1 @ W.T + c)
    W += s * (ph0.T @ X - ph1.T @ pv1)
    b += s * (X.sum(0) - pv1.sum(0))
    c += s * (ph0.sum(0) - ph1.sum(0))


step()
ts = []
for _ in range(5):
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
t = statistics.median(ts)
print(f"numpy CD-1 step V={V} H={H} B={B}: {t*1e3:.1f} ms (median of 5), {10*B*V*H/t/1e9:.1f} GFLOP/s")
