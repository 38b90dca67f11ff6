#!/bin/sh
# generate.sh regenerates every generated file of ../asm from a clean state:
# it deletes the files whose first line says "Code generated ... DO NOT
# EDIT." and runs each generator gen/<name>/main.go, which writes
# asm/<name>_amd64.s and its stubs asm/<name>_amd64.go (as `make gen` does).
# Then it vets gen/ and runs its tests (the shared library's helpers, and
# each generator regenerated in memory against the files just written).
# Run it from anywhere; then `git diff --exit-code -- asm/` shows whether the
# committed files were current.
set -eu
cd "$(dirname "$0")"
grep -l -E '^// Code generated .* DO NOT EDIT\.$' ../asm/*.go ../asm/*.s 2>/dev/null | xargs -r rm -f
for main in */main.go; do
	g=${main%/main.go}
	go run "./$g" -out "../asm/${g}_amd64.s" -stubs "../asm/${g}_amd64.go" -pkg asm
done
# avo hands out Y16-Y31 (AVX-512) when a kernel needs more than 16 vector
# registers; these kernels must run on AVX2-only CPUs.
if grep -n -E '\b[XY](1[6-9]|2[0-9]|3[01])\b' ../asm/*_amd64.s; then
	echo "generate.sh: AVX-512 registers in the generated assembly" >&2
	exit 1
fi
go vet ./...
go test -count=1 ./...
