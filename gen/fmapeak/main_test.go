package main

import (
	"testing"

	"github.com/boltzgo/boltz/gen/internal/gentest"
	"github.com/boltzgo/boltz/gen/internal/x86"
)

// TestCommitted builds the generator in memory for each level and compares
// its output with asm/fmapeak_amd64.{s,go} and asm/fmapeak_avx512_amd64.{s,go}
// byte for byte.
func TestCommitted(t *testing.T) {
	gentest.Committed(t, "fmapeak", x86.AVX2, generate)
	gentest.Committed(t, "fmapeak", x86.AVX512, generate)
}
