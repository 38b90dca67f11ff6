package engine

import "github.com/boltzgo/boltz/kernel"

// The compute contract lives in package kernel; these aliases let users of
// the engine name it without importing it.

// Mat is a row-major float32 matrix view (kernel.Mat).
type Mat = kernel.Mat

// Act is the activation a projection applies in its write-back.
type Act = kernel.Act

// The activations.
const (
	Linear  = kernel.Linear
	Sigmoid = kernel.Sigmoid
)

// Sample asks a projection to draw Bernoulli states (kernel.Sample).
type Sample = kernel.Sample

// Update describes one fused CD weight update (kernel.Update).
type Update = kernel.Update

// Kernel is the compute backend of the engine (kernel.Kernel): three
// methods, and the optional capabilities of package kernel (packed weights,
// the fused update, tile geometry, descriptions, benchmarks), which the
// engine finds through interfaces.
type Kernel = kernel.Kernel

// Bencher and BenchCase: a backend's own kernel measurements (kernel.Bencher).
type (
	Bencher   = kernel.Bencher
	BenchCase = kernel.BenchCase
)

// Describer is a backend that says what it runs (kernel.Describer).
type Describer = kernel.Describer

// NewMat returns a zeroed rows×cols matrix with Stride = cols.
func NewMat(rows, cols int) Mat { return kernel.NewMat(rows, cols) }
