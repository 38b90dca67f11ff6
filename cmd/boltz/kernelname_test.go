package main

import (
	"testing"

	"github.com/boltzgo/boltz/engine"
)

// TestSameKernel: resuming compares what runs, not how it was spelled.
func TestSameKernel(t *testing.T) {
	k, err := engine.KernelByName("asm")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		a, b string
		want bool
	}{
		{"asm", engine.KernelID(k), true},
		{engine.KernelID(k), "asm", true}, // asm at the level this run chooses
		{"generic", "asm/generic", false}, // the loops kernel, not asm's Go twins
		{"gonum", "generic", false},
		{"generic", "generic", true},
		{"nonesuch", "asm", false},
	}
	for _, l := range engine.Levels() {
		if l == "avx2" {
			cases = append(cases, struct {
				a, b string
				want bool
			}{"avx2", "asm/avx2", true}) // checkpoints of earlier versions
		}
	}
	for _, c := range cases {
		if got := sameKernel(c.a, c.b); got != c.want {
			t.Errorf("sameKernel(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
