package kerneltest_test

import (
	"testing"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/engine/kerneltest"
)

// TestBuiltinKernels runs the suite on every built-in kernel this machine runs.
func TestBuiltinKernels(t *testing.T) {
	for _, name := range engine.Kernels() {
		k, err := engine.KernelByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { kerneltest.Run(t, k) })
	}
}
