#!/usr/bin/python3
"""Times float32 C = op(A)·op(B) in numpy (OpenBLAS sgemm) at the CD shapes of
blocked.BenchmarkSgemm (m×n×k and layout), the peer of boltz's Sgemm. Run as
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 scripts/numpy_sgemm.py [rounds]
(a preset OPENBLAS_CORETYPE such as Haswell holds OpenBLAS to older kernels;
the first line printed says which one it chose, through threadpoolctl)
and compare with
    go test -run XXX -bench 'Sgemm/.*/.*/b=plain/workers=1' ./blocked
or, interleaved in one run, scripts/compare_sgemm.sh. C is preallocated
(np.matmul's out=), so only the GEMM is timed. Prints, per shape, the median
of `rounds` runs of ~0.3 s each in microseconds a call and GFLOP/s."""
import statistics, sys, time
import numpy as np

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
from openblas_info import print_openblas

print_openblas()
shapes = [(100, 784, 500, "ABt"), (100, 500, 784, "AB"), (500, 784, 200, "AtB"),
          (256, 784, 500, "ABt"), (1024, 1024, 1024, "AB")]
rng = np.random.default_rng(1)
for m, n, k, layout in shapes:
    a = rng.standard_normal((k, m) if layout == "AtB" else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if layout == "ABt" else (k, n), dtype=np.float32)
    A = a.T if layout == "AtB" else a
    B = b.T if layout == "ABt" else b
    c = np.empty((m, n), np.float32)
    f = lambda: np.matmul(A, B, out=c)
    f()
    res = []
    for _ in range(rounds):
        it, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            f(); it += 1
        res.append((time.perf_counter() - t0) / it)
    t = statistics.median(res)
    print(f"numpy sgemm shape={m}x{n}x{k} layout={layout}: {t*1e6:.1f} us/call, {2*m*n*k/t/1e9:.1f} GFLOP/s")
