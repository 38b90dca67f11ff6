#!/bin/sh
# generate.sh regenerates every generated file of ../asm from a clean state:
# it deletes the files whose first line says "Code generated ... DO NOT
# EDIT." and runs each generator gen/<name>/main.go once per level it has
# (`go run ./<name> -list`): AVX2 writes asm/<name>_amd64.s and its stubs
# asm/<name>_amd64.go, another level L writes asm/<name>_<l>_amd64.{s,go}
# (as `make gen` does). Then it vets and tests gen/. Run it from anywhere;
# then `git diff --exit-code -- asm/` shows whether the committed files were
# current.
set -eu
cd "$(dirname "$0")"
grep -l -E '^// Code generated .* DO NOT EDIT\.$' ../asm/*.go ../asm/*.s 2>/dev/null | xargs -r rm -f
for main in */main.go; do
	g=${main%/main.go}
	for isa in $(go run "./$g" -list); do
		if [ "$isa" = AVX2 ]; then
			go run "./$g" -out "../asm/${g}_amd64.s" -stubs "../asm/${g}_amd64.go" -pkg asm
		else
			f="${g}_$(echo "$isa" | tr 'A-Z' 'a-z')"
			go run "./$g" -out "../asm/${f}_amd64.s" -stubs "../asm/${f}_amd64.go" -pkg asm -isa "$isa"
		fi
	done
done
# avo hands out Y16-Y31 (AVX-512) when a kernel needs more than 16 vector
# registers: the AVX2 files must run on AVX2-only CPUs (each file's ISA.Check
# rejects them too).
for f in ../asm/*_amd64.s; do
	case $f in *_avx512_amd64.s) continue ;; esac
	if grep -n -E '\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[1-7])\b' "$f"; then
		echo "generate.sh: AVX-512 registers in $f" >&2
		exit 1
	fi
done
go vet ./...
go test -count=1 ./...
