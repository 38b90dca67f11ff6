package kerneltest_test

import (
	"testing"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/engine/kerneltest"
)

// TestBinaryExact holds the built-in backends with binary products (asm at
// every level, generic) to their dense products' bits.
func TestBinaryExact(t *testing.T) {
	names := []string{"generic"}
	for _, l := range engine.Levels() {
		names = append(names, "asm/"+l)
	}
	for _, name := range names {
		k, err := engine.KernelByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { kerneltest.BinaryExact(t, k) })
	}
}
