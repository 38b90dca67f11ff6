# boltz: the commands maintainers and CI run. See README.md ("Maintenance").
GO ?= go

.PHONY: all test test-isa test-purego test-race cross check gen gen-check gen-test bench benchcmp ci

all: check test

# The test command README.md gives.
test:
	$(GO) test ./...

# The whole suite once per asm level this machine runs (BOLTZ_ISA forces the
# level behind asm's exported functions, blocked and the default kernel).
# -count=1: asm reads BOLTZ_ISA at init, before go test's cache can see it.
LEVELS = $$($(GO) run ./cmd/boltz info | sed -n 's/^levels: *\([^(]*\)(.*/\1/p' | tr -d ',')
test-isa:
	@levels="$(LEVELS)"; test -n "$$levels" || { echo "no asm levels from boltz info"; exit 1; }; \
	for isa in $$levels; do echo "== BOLTZ_ISA=$$isa"; BOLTZ_ISA=$$isa $(GO) test -count=1 ./... || exit 1; done

test-purego:
	$(GO) test -tags purego ./...

test-race:
	$(GO) test -race -short ./...

# The fallback must build everywhere.
cross:
	GOARCH=arm64 $(GO) vet ./...
	GOARCH=386 $(GO) build ./...

check:
	$(GO) vet ./...
	cd gen && $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff

# Regenerate every generated file from a clean state: gen/generate.sh
# deletes every DO NOT EDIT file in asm/ and runs each generator gen/<name>,
# which writes asm/<name>_amd64.s and asm/<name>_amd64.go.
gen:
	sh gen/generate.sh

# Fails when the committed generated files differ from a regeneration.
gen-check: gen
	git diff --exit-code -- asm/
	@test -z "$$(git status --porcelain -- asm/)" || (git status --porcelain -- asm/; echo "untracked generated files"; exit 1)

# The generators' own tests (the shared library in gen/internal/x86, and each
# generator's comparison with the committed files); gen/generate.sh runs
# them too, so gen and gen-check include them.
gen-test:
	cd gen && $(GO) test ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The asm levels against each other (generic is the pure-Go twins) through
# benchstat, by the impl= key of the benchmark names.
benchcmp:
	$(GO) test -run '^$$' -bench . -count 6 ./asm/ > /tmp/boltz-asm.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@latest -col /impl /tmp/boltz-asm.txt

ci: check test test-isa test-purego test-race cross gen-check

# The classic RBM coursework on MNIST (docs/experiments.md). EPOCHS=5 is what
# the docs report; more epochs take proportionally longer.
EPOCHS ?= 5
.PHONY: experiments
experiments:
	EPOCHS=$(EPOCHS) experiments/run.sh
