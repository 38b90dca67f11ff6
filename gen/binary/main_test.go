package main

import (
	"testing"

	"github.com/boltzgo/boltz/gen/internal/gentest"
	"github.com/boltzgo/boltz/gen/internal/x86"
)

// TestCommitted builds the generator in memory and compares its output with
// asm/binary_amd64.s, asm/binary_avx512_amd64.s and their stubs byte for
// byte.
func TestCommitted(t *testing.T) {
	gentest.Committed(t, "binary", x86.AVX2, generate)
	gentest.Committed(t, "binary", x86.AVX512, generate)
}
