#!/usr/bin/env bash
# Times one CD-1 epoch on MNIST (60,000 rows, V=784, H=500, B=100) in boltz
# and in the peers (numpy+OpenBLAS, PyTorch, scikit-learn, through the
# workplace's peer script), ALTERNATING them for ROUNDS rounds so that both
# see the same machine load, and prints the median seconds per epoch of each
# and the ratios to boltz.
#
#   scripts/compare_peers.sh            # ROUNDS=3 THREADS=2 PEERS=numpy,torch,sklearn
#   PEERS=numpy ROUNDS=5 scripts/compare_peers.sh
#
# boltz's epoch is the "seconds" of `boltz train` (training only, metrics
# excluded) with momentum and weight decay on; the peers' epochs have
# neither, so boltz does slightly more work. Needs ../shared/peers/cd1_peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
peers=${PEERS:-numpy,torch,sklearn}
hidden=${HIDDEN:-500}
batch=${BATCH:-100}
peer_script=${PEER_SCRIPT:-../shared/peers/cd1_peers.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/boltz" ./cmd/boltz
"$work/boltz" info | grep -E '^(cpu|kernel):'
# The OpenBLAS kernel numpy runs under the peer script's environment.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
  /usr/bin/python3 -c 'import sys; sys.path.insert(0, "scripts"); import numpy, openblas_info; openblas_info.print_openblas()' ||
  echo "# numpy missing: OpenBLAS kernel unknown"
for r in $(seq "$rounds"); do
  "$work/boltz" train --hidden "$hidden" --batch "$batch" --epochs 1 --val-frac 0 --monitor-rows 100 \
    --quiet --workers "$threads" --metrics "$work/m.jsonl" --out "$work/m.safetensors" 2>/dev/null
  python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["seconds"])' "$work/m.jsonl" >>"$work/boltz.txt"
  "$peer_script" --hidden "$hidden" --batch "$batch" --epochs 1 --threads "$threads" --peers "$peers" --json >>"$work/peers.jsonl"
done
python3 - "$work" "$threads" "$hidden" "$batch" <<'PY'
import json, statistics, sys, platform
work, threads, hidden, batch = sys.argv[1:5]
boltz = [float(x) for x in open(work + "/boltz.txt")]
runs = {}
for line in open(work + "/peers.jsonl"):
    for k, v in json.loads(line)["peers"].items():
        if "seconds_per_epoch" in v:
            runs.setdefault(k, []).append(v["seconds_per_epoch"])
b = statistics.median(boltz)
print(f"threads={threads}, {len(boltz)} alternating rounds, median seconds per CD-1 epoch (V=784 H={hidden} B={batch}):")
print(f"  boltz    {b:7.3f} s   runs {', '.join('%.3f' % x for x in boltz)}")
for k, v in runs.items():
    m = statistics.median(v)
    print(f"  {k:8s} {m:7.3f} s   runs {', '.join('%.3f' % x for x in v)}   boltz is {m / b:.2f}x faster")
PY
