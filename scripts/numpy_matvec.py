#!/usr/bin/python3
"""Times y = 1/(1+exp(-(W@x+c))) in numpy (OpenBLAS, one thread) for W 500×784
and 4096×4096: the peer of boltz's sigmoid-matvec (asm.SigmoidMatVec, online
inference at B=1). Run as
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 scripts/numpy_matvec.py
and compare with `boltz bench` or `go test -bench SigmoidMatVec ./asm/`.
Prints the median of 7 runs of ~0.3 s each, in microseconds a call and GB/s of W."""
import time, statistics
import numpy as np

from openblas_info import print_openblas

print_openblas()

for h, v in ((500, 784), (4096, 4096)):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((h, v), dtype=np.float32)
    x = (rng.random(v) < 0.13).astype(np.float32)
    c = np.zeros(h, np.float32)
    f = lambda: 1 / (1 + np.exp(-(W @ x + c)))
    f()
    res = []
    for _ in range(7):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            f(); n += 1
        res.append((time.perf_counter() - t0) / n)
    t = statistics.median(res)
    print(f"numpy sigmoid-matvec {v}x{h}: {t*1e6:.1f} us/call, {4*h*v/t/1e9:.1f} GB/s of W")
