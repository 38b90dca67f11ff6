#!/usr/bin/env bash
# Reproduces the classic RBM coursework on MNIST with boltz:
#   - 100 hidden units trained with CD-k for k = 1, 5, 10, 20;
#   - CD-1 with 50, 100, 200 and 500 hidden units;
#   - train/validation reconstruction cross-entropy curves, the filters, and
#     100 chains × 1000 Gibbs steps from random starts for every model;
#   - the test-set evaluation of every model (reconstruction cross-entropy,
#     free energy, pseudo-likelihood) and log-likelihoods: AIS for the models
#     named in $AIS_MODELS, exact log Z and AIS side by side for a 20-hidden
#     check model.
# Every command and its wall time go to $OUT/times.tsv; experiments/report
# turns the outputs into $OUT/results.md and the plots.
#
# Usage (from the repository root):
#   experiments/run.sh                 # EPOCHS=50, all models
#   EPOCHS=5 experiments/run.sh        # what docs/experiments.md reports
# Environment:
#   EPOCHS      training epochs of every model (default 50)
#   OUT         where results, pictures and logs go (default docs/experiments)
#   WORK        where the model files go (default /tmp/boltz-experiments)
#   AIS_MODELS  models whose test log-likelihood is estimated with AIS
#               (default: all of them; each takes ~0.3-3 minutes with the
#               pure-Go kernel on 2 cores)
#   WORKERS     worker goroutines (default: GOMAXPROCS)
#   KERNEL      compute kernel (default: the best this CPU runs)
#   BUILD_TAGS  go build tags of the boltz binary (purego: the pure-Go kernel)
# For a quick smoke test of the pipeline only (the numbers mean nothing):
#   LIMIT       training rows (train --limit; default all)
#   STEPS       Gibbs steps of the samples (default 1000)
#   AIS_BETAS   AIS temperatures (eval --ais-betas; default 0, the 14,503 of
#               the default schedule)
set -euo pipefail

EPOCHS=${EPOCHS:-50}
OUT=${OUT:-docs/experiments}
WORK=${WORK:-/tmp/boltz-experiments}
HIDDEN_RUNS="h50-k1 h100-k1 h200-k1 h500-k1"
CDK_RUNS="h100-k5 h100-k10 h100-k20"
AIS_MODELS=${AIS_MODELS:-"$HIDDEN_RUNS $CDK_RUNS"}
ENGINE_FLAGS=()
[ -n "${WORKERS:-}" ] && ENGINE_FLAGS+=(--workers "$WORKERS")
[ -n "${KERNEL:-}" ] && ENGINE_FLAGS+=(--kernel "$KERNEL")

mkdir -p "$OUT/runs" "$WORK"
BOLTZ="$WORK/boltz"
go build -tags "${BUILD_TAGS:-}" -o "$BOLTZ" ./cmd/boltz
LIMIT=${LIMIT:-0}
STEPS=${STEPS:-1000}
AIS_BETAS=${AIS_BETAS:-0}

TIMES="$OUT/times.tsv"
printf 'run\tstep\tseconds\tcommand\n' > "$TIMES"

# timed RUN STEP CMD...: runs CMD, appends its wall time to times.tsv.
timed() {
	local run=$1 step=$2
	shift 2
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	local secs
	secs=$(echo "$t1 - $t0" | bc)
	local cmd="$*"
	cmd=${cmd//$WORK/\$WORK}
	cmd=${cmd//$BOLTZ/boltz}
	printf '%s\t%s\t%.1f\t%s\n' "$run" "$step" "$secs" "$cmd" >> "$TIMES"
	printf '%-9s %-8s %7.1fs  %s\n' "$run" "$step" "$secs" "$cmd" >&2
}

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "epochs: $EPOCHS, training rows limit: $LIMIT (0: all), Gibbs steps: $STEPS, AIS temperatures: $AIS_BETAS (0: default 14,503), build tags: ${BUILD_TAGS:-none}"
	"$BOLTZ" info "${ENGINE_FLAGS[@]}"
} > "$OUT/machine.txt"

# run NAME HIDDEN K: train, evaluate on the test set, draw filters and samples.
run() {
	local name=$1 hidden=$2 k=$3
	local dir="$OUT/runs/$name" model="$WORK/$name.safetensors"
	mkdir -p "$dir"
	timed "$name" train "$BOLTZ" train --data mnist --hidden "$hidden" --k "$k" --epochs "$EPOCHS" --seed 1 \
		--monitor-rows 10000 --limit "$LIMIT" --quiet --out "$model" --metrics "$dir/metrics.jsonl" "${ENGINE_FLAGS[@]}" 2> "$dir/train.log"
	timed "$name" eval "$BOLTZ" eval --model "$model" --data mnist-test --json "${ENGINE_FLAGS[@]}" > "$dir/eval.json"
	local scale=2
	[ "$hidden" -gt 200 ] && scale=1
	timed "$name" filters "$BOLTZ" filters --model "$model" --scale "$scale" --out "$dir/filters.png"
	timed "$name" sample "$BOLTZ" sample --model "$model" --chains 100 --steps "$STEPS" --init random --seed 1 \
		--out "$dir/samples.png" "${ENGINE_FLAGS[@]}"
	case " $AIS_MODELS " in
	*" $name "*)
		timed "$name" ais "$BOLTZ" eval --model "$model" --data mnist-test --logz ais --ais-betas "$AIS_BETAS" --seed 1 --json \
			"${ENGINE_FLAGS[@]}" > "$dir/logz.json"
		;;
	esac
}

# The exact-versus-AIS check on a model small enough to enumerate (2^20 hidden states).
check20() {
	local name=h20-k1 dir="$OUT/runs/h20-k1" model="$WORK/h20-k1.safetensors"
	mkdir -p "$dir"
	timed "$name" train "$BOLTZ" train --data mnist --hidden 20 --epochs "$EPOCHS" --seed 1 \
		--monitor-rows 10000 --limit "$LIMIT" --quiet --out "$model" --metrics "$dir/metrics.jsonl" "${ENGINE_FLAGS[@]}" 2> "$dir/train.log"
	timed "$name" exact "$BOLTZ" eval --model "$model" --data mnist-test --logz exact --json "${ENGINE_FLAGS[@]}" > "$dir/exact.json"
	timed "$name" ais "$BOLTZ" eval --model "$model" --data mnist-test --logz ais --ais-betas "$AIS_BETAS" --seed 1 --json "${ENGINE_FLAGS[@]}" > "$dir/logz.json"
}

for name in $HIDDEN_RUNS $CDK_RUNS; do
	hidden=${name#h}
	hidden=${hidden%-k*}
	k=${name#*-k}
	run "$name" "$hidden" "$k"
done
check20

go run ./experiments/report -dir "$OUT"
echo "results: $OUT/results.md" >&2
