#!/usr/bin/env bash
# One CD-1 epoch of a 256-hidden RBM on the synthetic bag-of-words set
# (50,000 rows x 20,000 features, Zipf-distributed words, 0.5 % dense, a
# CSR .npz from scripts/make_sparse.py) in boltz and in scikit-learn's
# BernoulliRBM on the same CSR matrix, ALTERNATING them for ROUNDS rounds.
# Prints each run's epoch seconds and peak RSS (/usr/bin/time -v), then
# the medians and the ratio.
#
#   scripts/compare_bow.sh                 # ROUNDS=3 THREADS=2 HIDDEN=256 BATCH=100
#   DATA=/tmp/other.npz scripts/compare_bow.sh
#
# boltz's epoch is the "seconds" of `boltz train` (training only; momentum
# and weight decay off, as BernoulliRBM has neither); scikit-learn's is the
# time of fit() (n_iter=1, learning_rate 0.1, batch_size BATCH), loading
# excluded. Peak RSS is that of the whole process, loading included. Run
# under flock /tmp/boltz-bench.lock on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
hidden=${HIDDEN:-256}
batch=${BATCH:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=${DATA:-$work/bow.npz}
[ -f "$data" ] || /usr/bin/python3 scripts/make_sparse.py bow "$data"
go build -o "$work/boltz" ./cmd/boltz
"$work/boltz" info | grep -E '^(cpu|kernel):' || true
cat >"$work/sk.py" <<'PY'
import sys, time, json
import scipy.sparse as sp
from sklearn.neural_network import BernoulliRBM
x = sp.load_npz(sys.argv[1]).astype("float32")
rbm = BernoulliRBM(n_components=int(sys.argv[2]), learning_rate=0.1, batch_size=int(sys.argv[3]), n_iter=1, random_state=1)
t = time.perf_counter()
rbm.fit(x)
print(json.dumps({"seconds": time.perf_counter() - t}))
PY
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
for r in $(seq "$rounds"); do
  /usr/bin/time -v "$work/boltz" train --data "$data" --hidden "$hidden" --batch "$batch" --epochs 1 --val-frac 0 \
    --monitor-rows 100 --momentum 0 --decay 0 --lr 0.1 --quiet --workers "$threads" \
    --metrics "$work/m.jsonl" --out "$work/m.safetensors" 2>"$work/boltz.time" >/dev/null
  b=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["seconds"])' "$work/m.jsonl")
  echo "boltz   round $r: $b s, peak RSS $(rss "$work/boltz.time") KiB" | tee -a "$work/boltz.txt"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
    /usr/bin/time -v /usr/bin/python3 "$work/sk.py" "$data" "$hidden" "$batch" 2>"$work/sk.time" >"$work/sk.json"
  s=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$work/sk.json")
  echo "sklearn round $r: $s s, peak RSS $(rss "$work/sk.time") KiB" | tee -a "$work/sk.txt"
done
/usr/bin/python3 - "$work" <<'PY'
import re, statistics, sys
w = sys.argv[1]
def med(name):
    secs, rss = [], []
    for line in open(f"{w}/{name}.txt"):
        m = re.search(r": ([0-9.e+-]+) s, peak RSS (\d+) KiB", line)
        secs.append(float(m.group(1))); rss.append(int(m.group(2)))
    return statistics.median(secs), statistics.median(rss)
b, s = med("boltz"), med("sk")
print(f"median epoch: boltz {b[0]:.2f} s, scikit-learn {s[0]:.2f} s; scikit-learn/boltz = {s[0]/b[0]:.2f}x")
print(f"median peak RSS: boltz {b[1]/1024:.0f} MiB, scikit-learn {s[1]/1024:.0f} MiB")
PY
