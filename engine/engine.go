package engine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/pool"
)

// Pool is the engine's worker pool (package pool); it satisfies
// blocked.Runner.
type Pool = pool.Pool

// NewPool starts a pool of n workers (GOMAXPROCS when n ≤ 0).
func NewPool(n int) *Pool { return pool.New(n) }

// Errors the engine wraps; test them with errors.Is.
var (
	// ErrShape reports a slice whose length does not match the model.
	ErrShape = errors.New("engine: shape mismatch")
	// ErrValue reports input outside the domain (NaN, or outside [0, 1]).
	ErrValue = errors.New("engine: invalid value")
	// ErrConfig reports an impossible configuration.
	ErrConfig = errors.New("engine: invalid configuration")
	// ErrDiverged reports NaN or Inf in the weights or metrics during training.
	ErrDiverged = errors.New("engine: training diverged")
)

// Engine runs a Kernel on a persistent worker pool. An Engine may be shared
// by many models; its methods are safe for concurrent use (concurrent calls
// take turns on the pool).
type Engine struct {
	kernel Kernel
	reason string
	pool   *Pool
}

type options struct {
	kernel  Kernel
	name    string
	workers int
}

// Option configures New.
type Option func(*options)

// WithKernel makes the engine use k (a built-in or a third-party kernel).
func WithKernel(k Kernel) Option { return func(o *options) { o.kernel = k } }

// WithKernelName makes the engine use the built-in kernel called name
// ("generic" forces the pure-Go fallback; see Kernels).
func WithKernelName(name string) Option { return func(o *options) { o.name = name } }

// WithWorkers sets the number of workers (default GOMAXPROCS).
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// New returns an engine. Without options it uses DefaultKernel and
// GOMAXPROCS workers (at most pool.MaxWorkers). Close it to stop its
// workers.
func New(opts ...Option) (*Engine, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.workers < 0 {
		return nil, fmt.Errorf("%w: %d workers", ErrConfig, o.workers)
	}
	if o.workers > pool.MaxWorkers {
		return nil, fmt.Errorf("%w: %d workers (at most %d)", ErrConfig, o.workers, pool.MaxWorkers)
	}
	e := &Engine{kernel: o.kernel, reason: "chosen by the caller"}
	switch {
	case o.kernel != nil && o.name != "":
		return nil, fmt.Errorf("%w: both a kernel and a kernel name given", ErrConfig)
	case o.name != "":
		k, err := KernelByName(o.name)
		if err != nil {
			return nil, err
		}
		e.kernel = k
	case o.kernel == nil:
		k, reason, err := DefaultKernel()
		if err != nil {
			return nil, err
		}
		e.kernel, e.reason = k, reason
	}
	e.pool = NewPool(o.workers)
	return e, nil
}

// Kernel returns the engine's kernel.
func (e *Engine) Kernel() Kernel { return e.kernel }

// KernelReason says why the kernel was chosen.
func (e *Engine) KernelReason() string { return e.reason }

// Workers returns the worker count.
func (e *Engine) Workers() int { return e.pool.Workers() }

// Pool returns the engine's worker pool (it satisfies blocked.Runner).
func (e *Engine) Pool() *Pool { return e.pool }

// Close stops the engine's workers.
func (e *Engine) Close() { e.pool.Close() }

var (
	defaultOnce sync.Once
	defaultEng  *Engine
	defaultErr  error
)

// Default returns the shared engine models use when none is set: the default
// kernel on GOMAXPROCS workers (as GOMAXPROCS was at the first call).
func Default() (*Engine, error) {
	defaultOnce.Do(func() {
		defaultEng, defaultErr = New(WithWorkers(min(runtime.GOMAXPROCS(0), pool.MaxWorkers)))
	})
	return defaultEng, defaultErr
}

// proj is one parallel projection phase. A Trainer keeps one and reuses it
// (its run method value is made once), so a step allocates nothing.
type proj struct {
	k      Kernel
	grain  kernel.Grain // k's, asked once
	down   bool         // Down rather than Up
	byCols bool
	out    Mat
	in     Mat
	w      Mat
	bias   []float32
	act    Act
	units  *kernel.Units // non-nil: units other than Bernoulli (act is then ignored)
	sample bool
	s      Sample
	pk     kernel.Packed  // non-nil: W packed in advance (Trainer, AIS), w unused
	bin    *kernel.Active // non-nil: in as its nonzeros, for the binary form (binary.go); goOn clears it
	fn     func(part, lo, hi int)
	parts  []Sample // per-part sampling descriptors, so run does not allocate
	// unitParts are the per-part unit descriptions (σ sliced by column).
	unitParts []kernel.Units
	// scale, when non-nil, is the inverse temperature of every input row
	// (parallel tempering, pt.go); tparts are the per-part descriptors of
	// its runs of rows.
	scale  []float32
	tparts []Sample
}

// newProj returns a phase descriptor for kernel k on a pool of the given
// worker count.
func newProj(k Kernel, workers int) *proj {
	p := &proj{k: k, grain: kernel.GrainOf(k), parts: make([]Sample, workers), unitParts: make([]kernel.Units, workers), tparts: make([]Sample, workers)}
	p.fn = p.run
	return p
}

// run does the part [lo, hi) of the phase: rows of the batch or columns of
// the output.
func (p *proj) run(part, lo, hi int) {
	var sp *Sample
	s := &p.parts[part]
	*s = p.s
	out, in, w, bias := p.out, p.in, p.w, p.bias
	col0, row0 := 0, 0
	if p.byCols {
		out = out.ColSlice(lo, hi)
		bias = bias[lo:hi]
		col0 = lo
		if p.down {
			w = w.ColSlice(lo, hi)
		} else {
			w = w.RowSlice(lo, hi)
		}
		if p.sample {
			s.Dst = s.Dst.ColSlice(lo, hi)
			s.Col0 += lo
		}
	} else {
		out, in, row0 = out.RowSlice(lo, hi), in.RowSlice(lo, hi), lo
		if p.sample {
			s.Dst = s.Dst.RowSlice(lo, hi)
			s.Row0 += lo
		}
	}
	if p.sample {
		sp = s
	}
	if p.units != nil {
		p.runUnits(part, out, in, w, bias, col0, sp)
		return
	}
	if p.scale != nil {
		p.runTempered(part, out, in, w, bias, p.scale[row0:row0+out.Rows], col0, sp)
		return
	}
	if p.bin != nil {
		p.runBinary(out, w, bias, col0, lo, hi, sp)
		return
	}
	p.plain(out, in, w, bias, col0, p.act, sp)
}

// plain is one part of a projection without units, scale or binary form.
func (p *proj) plain(out, in, w Mat, bias []float32, col0 int, act Act, sp *Sample) {
	switch {
	case p.pk != nil && p.down:
		p.pk.Down(out, in, col0, bias, act, sp)
	case p.pk != nil:
		p.pk.Up(out, in, col0, bias, act, sp)
	case p.down:
		p.k.Down(out, in, w, bias, act, sp)
	default:
		p.k.Up(out, in, w, bias, act, sp)
	}
}

// runUnits is run for units other than Bernoulli: the backend's
// UnitsProjector (or its packed copy's PackedUnits) when it has one, else
// its Linear product followed by kernel.ApplyUnits in the same part.
func (p *proj) runUnits(part int, out, in, w Mat, bias []float32, col0 int, sp *Sample) {
	u := &p.unitParts[part]
	*u = *p.units
	if u.Sigma != nil {
		u.Sigma = u.Sigma[col0 : col0+out.Cols]
	}
	if p.pk != nil {
		if pu, ok := p.pk.(kernel.PackedUnits); ok {
			if p.down {
				pu.DownUnits(out, in, col0, bias, u, sp)
			} else {
				pu.UpUnits(out, in, col0, bias, u, sp)
			}
			return
		}
		if p.down {
			p.pk.Down(out, in, col0, bias, Linear, nil)
		} else {
			p.pk.Up(out, in, col0, bias, Linear, nil)
		}
		kernel.ApplyUnits(out, u, sp)
		return
	}
	if ku, ok := p.k.(kernel.UnitsProjector); ok {
		if p.down {
			ku.DownUnits(out, in, w, bias, u, sp)
		} else {
			ku.UpUnits(out, in, w, bias, u, sp)
		}
		return
	}
	if p.down {
		p.k.Down(out, in, w, bias, Linear, nil)
	} else {
		p.k.Up(out, in, w, bias, Linear, nil)
	}
	kernel.ApplyUnits(out, u, sp)
}

// goOn runs the phase on pool: split over batch rows when there are enough
// of them, else over output columns, at multiples of the kernel's grain.
// Categorical units are split over rows only, so that no part cuts a
// position's group of states.
func (p *proj) goOn(pool *Pool) {
	// Split the larger operand: output columns (each worker then reads
	// only its part of W) unless the batch has more rows than the output
	// has columns, or too few columns to go round.
	rows, cols, g := p.in.Rows, p.out.Cols, p.grain
	p.byCols = cols >= 2*g.Cols && (rows < cols || rows < 8*pool.Workers())
	if p.units != nil && p.units.Dist == kernel.Categorical {
		p.byCols = false
	}
	if p.byCols {
		pool.Run(cols, g.Cols, p.fn)
	} else {
		pool.Run(rows, g.Rows, p.fn)
	}
	p.bin = nil // a list is for one phase
}
