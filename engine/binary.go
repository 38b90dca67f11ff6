package engine

import "github.com/boltzgo/boltz/kernel"

// Binary products: a projection whose input has only the values 0 and one
// nonzero v (the data when they are binary, sampled hidden states, PCD's
// chains, AIS's states) is a sum of the rows of W that its nonzeros select.
// Before each projection the engine lists the input's nonzeros in parallel
// (kernel.Active), which also tells whether the input is binary at all (a
// part stops at its first other value: probabilities are rejected at their
// first element) and its density; below the crossover density of the
// direction it runs the backend's binary form (kernel.PackedBinary on a
// packed copy, else kernel.BinaryProjector), otherwise the dense one. The
// choice is made from the whole operand, never from a part, so it does not
// depend on the worker count; and with the built-in backends the two forms
// give the same bits (kerneltest.BinaryExact), so it changes no result.

// The crossover densities: the binary form runs when the fraction of
// nonzeros of the input is at most this. Measured on a Zen 4 core with
// asm's AVX-512 kernels (BenchmarkBinaryGemm in package asm: M=100,
// K×N = 784×500 and 500×784, the forms break even at 0.4 ones; 1024×256 at
// 0.5), with a margin for the listing.
// (Variables so that the tests can turn the binary form off.)
var (
	binaryMaxDensityUp   = 0.35
	binaryMaxDensityDown = 0.35
)

// binaryProbeRows rows are looked at before the listing; above
// binaryProbeFactor times the crossover there, the input counts as dense.
const (
	binaryProbeRows   = 8
	binaryProbeFactor = 1.5
)

// binaryLister lists the nonzeros of projection inputs for one trainer or
// estimate: one Active, rebuilt for each product, and per-part results.
type binaryLister struct {
	a      *kernel.Active
	x      Mat
	value  float32
	counts []int
	oks    []bool
	fn     func(part, lo, hi int)
}

func newBinaryLister(workers, rows, cols int) *binaryLister {
	l := &binaryLister{a: kernel.NewActive(rows, cols), counts: make([]int, workers), oks: make([]bool, workers)}
	l.fn = l.part
	return l
}

func (l *binaryLister) part(part, lo, hi int) {
	l.counts[part], l.oks[part] = l.a.BuildRows(l.x, l.value, lo, hi)
}

// binaryCapable reports whether a projection on kernel k (with the packed
// copy pk, when not nil) has a binary form.
func binaryCapable(k Kernel, pk kernel.Packed) bool {
	if pk != nil {
		_, ok := pk.(kernel.PackedBinary)
		return ok
	}
	_, ok := k.(kernel.BinaryProjector)
	return ok
}

// list returns the nonzeros of x when x holds only 0 and value and at most
// the direction's crossover density of nonzeros, else nil. It allocates
// nothing once the lister is large enough for x.
func (l *binaryLister) list(pool *Pool, x Mat, value float32, down bool) *kernel.Active {
	if x.Rows == 0 || x.Cols == 0 || value == 0 {
		return nil
	}
	a := l.a
	if cap(a.Beg) < x.Rows || len(a.Idx) < x.Rows*x.Cols {
		*a = *kernel.NewActive(x.Rows, x.Cols)
	}
	a.Beg, a.End = a.Beg[:x.Rows], a.End[:x.Rows]
	a.Cols, a.Value = x.Cols, value
	limit := binaryMaxDensityUp
	if down {
		limit = binaryMaxDensityDown
	}
	// A look at the first rows first (the same rows whatever the split):
	// when they are far above the crossover, or not binary, the dense form
	// runs without the full listing.
	if m := min(x.Rows, binaryProbeRows); m < x.Rows {
		n, ok := a.BuildRows(x, value, 0, m)
		if !ok || float64(n) > binaryProbeFactor*limit*float64(m)*float64(x.Cols) {
			return nil
		}
	}
	l.x, l.value = x, value
	parts := pool.Parts(x.Rows, 1)
	for i := range parts {
		l.counts[i], l.oks[i] = 0, false
	}
	pool.Run(x.Rows, 1, l.fn)
	l.x = Mat{}
	n := 0
	for i := range parts {
		if !l.oks[i] {
			return nil
		}
		n += l.counts[i]
	}
	if float64(n) > limit*float64(x.Rows)*float64(x.Cols) {
		return nil
	}
	return a
}

// runBinary is proj.run's binary form for the part's views.
func (p *proj) runBinary(out Mat, w Mat, bias []float32, col0, lo, hi int, sp *Sample) {
	a := *p.bin
	if !p.byCols {
		a = p.bin.RowSlice(lo, hi)
	}
	if p.pk != nil {
		pb := p.pk.(kernel.PackedBinary)
		if p.down {
			pb.DownBinary(out, a, col0, bias, p.act, sp)
		} else {
			pb.UpBinary(out, a, col0, bias, p.act, sp)
		}
		return
	}
	bp := p.k.(kernel.BinaryProjector)
	if p.down {
		bp.DownBinary(out, a, w, bias, p.act, sp)
	} else {
		bp.UpBinary(out, a, w, bias, p.act, sp)
	}
}

// binaryInput returns the list of nonzeros of the phase p's input for the
// binary form (in holding only 0 and value), or nil for the dense form; l is
// made on first use.
func binaryInput(l **binaryLister, pool *Pool, p *proj, value float32) *kernel.Active {
	if p.units != nil || p.scale != nil || !binaryCapable(p.k, p.pk) {
		return nil
	}
	if *l == nil {
		*l = newBinaryLister(pool.Workers(), p.in.Rows, p.in.Cols)
	}
	return (*l).list(pool, p.in, value, p.down)
}
