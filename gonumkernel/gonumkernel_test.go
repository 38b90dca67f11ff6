package gonumkernel_test

import (
	"testing"

	"github.com/boltzgo/boltz/blocked"
	"github.com/boltzgo/boltz/engine/kerneltest"
	"github.com/boltzgo/boltz/gonumkernel"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestConformance runs the engine's conformance suite on the kernel, over
// gonum's pure-Go BLAS and over boltz's own blocked.Blas: the contract can
// be met from outside the engine package, through the Kernel interface only.
func TestConformance(t *testing.T) {
	t.Run("gonum", func(t *testing.T) { kerneltest.Run(t, gonumkernel.Kernel{Impl: gonum.Implementation{}}) })
	t.Run("blocked", func(t *testing.T) { kerneltest.Run(t, gonumkernel.Kernel{Impl: blocked.Blas{}}) })
}
