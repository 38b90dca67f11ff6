package main

import (
	"testing"

	"github.com/boltzgo/boltz/gen/internal/gentest"
	"github.com/boltzgo/boltz/gen/internal/x86"
)

// TestCommitted builds the generator in memory and compares its output with
// asm/matvec_amd64.s and asm/matvec_amd64.go byte for byte.
func TestCommitted(t *testing.T) {
	gentest.Committed(t, "matvec", x86.AVX2, generate)
}
