package kerneltest_test

import (
	"testing"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/engine/kerneltest"
)

// TestBuiltinKernels runs the suite on every built-in kernel, and on the asm
// backend pinned to each asm level this CPU runs.
func TestBuiltinKernels(t *testing.T) {
	names := engine.Kernels()
	for _, l := range engine.Levels() {
		names = append(names, "asm/"+l)
	}
	for _, name := range names {
		k, err := engine.KernelByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { kerneltest.Run(t, k) })
	}
}
