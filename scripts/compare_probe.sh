#!/usr/bin/env bash
# Compares `boltz probe` with scikit-learn's LogisticRegression (penalty l2,
# lbfgs, C=1, multinomial: the same objective and stopping rule) on the same
# inputs, one after the other in the same run: raw binarised MNIST pixels,
# and the hidden probabilities of a 500-hidden RBM (trained here, 10 epochs
# of CD-1, unless MODEL names a model or stack file: then its top layer). Prints each side's JSON and the test
# error difference in points.
#
#   scripts/compare_probe.sh                 # MAX_ITER=100 C=1
#   MODEL=model.safetensors MAX_ITER=300 scripts/compare_probe.sh
#   WHAT=raw scripts/compare_probe.sh        # raw pixels only (WHAT=rbm: the RBM only)
set -euo pipefail
cd "$(dirname "$0")/.."
max_iter=${MAX_ITER:-100}
c=${C:-1}
what=${WHAT:-raw,rbm}
py=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/boltz" ./cmd/boltz
mnist=${BOLTZ_MNIST_DIR:-$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data}
if [ ! -f "$mnist/t10k-labels-idx1-ubyte.gz" ]; then echo "compare_probe: MNIST not in $mnist (set BOLTZ_MNIST_DIR)" >&2; exit 1; fi
diffpts() { "$py" -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print("%s: boltz test error %.4f, scikit-learn %.4f, difference %+.2f points; objective %.6f vs %.6f" % (sys.argv[3], a["test_error"], b["test_error"], 100*(a["test_error"]-b["test_error"]), a["objective"], b["objective"]))' "$1" "$2" "$3"; }
if [[ $what == *raw* ]]; then
  b=$("$work/boltz" probe --data mnist --max-iter "$max_iter" --C "$c" --json 2>/dev/null)
  echo "boltz raw: $b"
  s=$("$py" scripts/compare_probe.py "$mnist" raw "$max_iter" "$c")
  echo "sklearn raw: $s"
  diffpts "$b" "$s" "raw binarised pixels"
fi
if [[ $what == *rbm* ]]; then
  model=${MODEL:-}
  if [ -z "$model" ]; then
    model=$work/rbm500.safetensors
    "$work/boltz" train --hidden 500 --epochs 10 --val-frac 0 --quiet --out "$model" 2>/dev/null
  fi
  "$work/boltz" transform --model "$model" --data mnist --out "$work/tr.npy" 2>/dev/null
  "$work/boltz" transform --model "$model" --data mnist-test --out "$work/te.npy" 2>/dev/null
  b=$("$work/boltz" probe --model "$model" --data mnist --max-iter "$max_iter" --C "$c" --json 2>/dev/null)
  echo "boltz rbm: $b"
  s=$("$py" scripts/compare_probe.py "$mnist" "$work/tr.npy" "$work/te.npy" "$max_iter" "$c")
  echo "sklearn rbm: $s"
  diffpts "$b" "$s" "${MODEL:+features of the top layer of $MODEL}${MODEL:-500-hidden RBM features}"
fi
