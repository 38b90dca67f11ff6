package asm

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAsmFeatures checks every generated assembly file against the
// dispatch of its level: an AVX2 file's instructions may only need what
// impl_avx2_amd64.go checks (AVX, AVX2, FMA3, on top of the amd64 baseline)
// and use no register beyond Y15, which avo hands out when a kernel needs
// more than 16 (Y16-Y31, zmm and opmasks are AVX-512 and would fault on
// AVX2-only CPUs); an AVX512 file (*_avx512_amd64.s) only what
// impl_avx512_amd64.go checks.
func TestAsmFeatures(t *testing.T) {
	files, err := filepath.Glob("*_amd64.s")
	if err != nil || len(files) == 0 {
		t.Skip("no assembly files")
	}
	avx2 := map[string]bool{"AVX": true, "AVX2": true, "FMA3": true, "SSE": true, "SSE2": true, "CMOV": true}
	avx512 := map[string]bool{"AVX512F": true, "AVX512BW": true, "AVX512DQ": true, "AVX512VL": true, "BMI2": true, "MMX+": true}
	for f := range avx2 {
		avx512[f] = true
	}
	highReg := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	levels := 0
	for _, name := range files {
		allowed, is512 := avx2, strings.HasSuffix(name, "_avx512_amd64.s")
		if is512 {
			allowed = avx512
			levels++
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if req, ok := strings.CutPrefix(line, "// Requires: "); ok {
				for _, f := range strings.Split(req, ", ") {
					if !allowed[f] {
						t.Errorf("%s:%d: needs %s, which the dispatch does not check", name, i+1, f)
					}
				}
			}
			if m := highReg.FindString(line); !is512 && m != "" && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d: register %s is AVX-512: %s", name, i+1, m, strings.TrimSpace(line))
			}
		}
	}
	if levels == 0 {
		t.Error("no AVX-512 assembly files")
	}
}

func TestFeatures(t *testing.T) {
	if f := Features(); !strings.HasPrefix(f, Current().Name()+": ") {
		t.Errorf("Features() = %q, want it to name the level %s", f, Current().Name())
	}
}
