package main

import (
	"testing"

	"github.com/boltzgo/boltz/gen/internal/gentest"
	"github.com/boltzgo/boltz/gen/internal/x86"
)

// TestCommitted builds the generator in memory and compares its output with
// asm/sigmoid_amd64.s and asm/sigmoid_amd64.go byte for byte.
func TestCommitted(t *testing.T) {
	gentest.Committed(t, "sigmoid", x86.AVX2, generate)
	gentest.Committed(t, "sigmoid", x86.AVX512, generate)
}
