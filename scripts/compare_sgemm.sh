#!/usr/bin/env bash
# Times Sgemm at the CD shapes on ONE thread in boltz (blocked.Sgemm, W as
# given and kept in a PackedB) and in numpy+OpenBLAS (scripts/numpy_sgemm.py),
# ALTERNATING them for ROUNDS rounds so that both see the same machine load,
# and prints the median microseconds a call of each and the ratios. OpenBLAS
# runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (a machine may preset
# them, and they hold it to older kernels); the kernel it chose is printed.
# boltz runs the asm level BOLTZ_ISA names (default: the best this CPU runs).
#
#   scripts/compare_sgemm.sh            # ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/blocked.test" ./blocked
for r in $(seq "$rounds"); do
  "$work/blocked.test" -test.run XXX -test.bench 'Sgemm/.*/.*/b=(plain|packed)/workers=1' -test.benchtime 0.5s |
    awk '/^BenchmarkSgemm/{print $1, $3}' >>"$work/boltz.txt"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/numpy_sgemm.py 1 >>"$work/numpy.txt"
done
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import collections, re, statistics, sys
work, rounds = sys.argv[1], sys.argv[2]
boltz = collections.defaultdict(list)
for line in open(work + "/boltz.txt"):
    name, ns = line.split()
    m = re.search(r"shape=(\S+?)/layout=(\w+)/b=(\w+)/", name)
    boltz[(m[1], m[2], m[3])].append(float(ns) / 1e3)
numpy = collections.defaultdict(list)
kernel = "?"
for line in open(work + "/numpy.txt"):
    if line.startswith("# openblas"):
        kernel = line[2:].strip()
        continue
    m = re.search(r"shape=(\S+) layout=(\w+): ([\d.]+) us", line)
    numpy[(m[1], m[2])].append(float(m[3]))
print(f"one thread, {rounds} alternating rounds, median microseconds a call; {kernel}:")
print(f"  {'shape':16s} {'layout':6s} {'numpy':>9s} {'boltz':>9s} {'ratio':>6s} {'packed B':>9s} {'ratio':>6s}")
for (shape, layout), v in numpy.items():
    n = statistics.median(v)
    p = statistics.median(boltz[(shape, layout, "plain")])
    q = boltz.get((shape, layout, "packed"))
    tail = f" {statistics.median(q):9.1f} {n / statistics.median(q):5.2f}x" if q else ""
    print(f"  {shape:16s} {layout:6s} {n:9.1f} {p:9.1f} {n / p:5.2f}x{tail}")
PY
