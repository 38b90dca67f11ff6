package blocked

import (
	"sync"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/rng"
)

// Sgemm computes C = α·op(A)·op(B) + β·C for row-major float32 matrices,
// op(X) being X or, when tX is true, Xᵀ: op(A) is m×k (A stored m×k with
// leading dimension lda, or k×m when tA), op(B) is k×n (B stored k×n, or
// n×k when tB), C is m×n with leading dimension ldc. β = 0 overwrites C
// without reading it; α = 0 or k = 0 does not read A or B. The work is
// split over r's workers by output blocks (nil: the calling goroutine); the
// result is bitwise the same for any r. It panics on bad arguments (gonum's
// checks, "blocked: " messages) and does not allocate in the steady state.
func Sgemm(r Runner, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	o := gemmOp{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	o.check("blocked: ")
	o.run(r)
}

// SgemmBiasSigmoid computes C = σ(α·op(A)·op(B) + bias), bias[j] added to
// column j (len(bias) ≥ n) and σ the logistic sigmoid of asm.Sigmoid1,
// fused into the write-back of the product. C is not read. Otherwise as
// Sgemm.
func SgemmBiasSigmoid(r Runner, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int) {
	o := gemmOp{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		ep: asm.GemmBiasSigmoid, bias: bias}
	o.check("blocked: ")
	o.run(r)
}

// SgemmBiasSigmoidSample computes C = σ(α·op(A)·op(B) + bias) as
// SgemmBiasSigmoid and the Bernoulli samples S (m×n, leading dimension lds)
// of those probabilities: S[i,j] = 1 if
// rng.Uniform(stream.Uint32(row0+i, col0+j)) < C[i,j], else 0, bit for bit
// the numbers of the rng package (stream.Bernoulli).
func SgemmBiasSigmoidSample(r Runner, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int, s []float32, lds int, stream rng.Stream, row0, col0 int) {
	o := gemmOp{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		ep: asm.GemmBiasSigmoidSample, bias: bias, s: s, lds: lds, stream: stream, row0: row0, col0: col0}
	o.check("blocked: ")
	o.run(r)
}

// SgemmPacked is Sgemm with op(B) = b, a K×N operand kept packed: n = b.N(),
// k = b.K().
func SgemmPacked(r Runner, tA bool, m int, alpha float32, a []float32, lda int, b *PackedB, beta float32, c []float32, ldc int) {
	o := gemmOp{tA: tA, m: m, n: b.n, k: b.k, alpha: alpha, a: a, lda: lda, pb: b, beta: beta, c: c, ldc: ldc}
	o.check("blocked: ")
	o.run(r)
}

// SgemmPackedBiasSigmoid is SgemmBiasSigmoid with op(B) = b.
func SgemmPackedBiasSigmoid(r Runner, tA bool, m int, alpha float32, a []float32, lda int, b *PackedB, bias []float32, c []float32, ldc int) {
	o := gemmOp{tA: tA, m: m, n: b.n, k: b.k, alpha: alpha, a: a, lda: lda, pb: b, c: c, ldc: ldc,
		ep: asm.GemmBiasSigmoid, bias: bias}
	o.check("blocked: ")
	o.run(r)
}

// SgemmPackedBiasSigmoidSample is SgemmBiasSigmoidSample with op(B) = b.
func SgemmPackedBiasSigmoidSample(r Runner, tA bool, m int, alpha float32, a []float32, lda int, b *PackedB, bias []float32, c []float32, ldc int, s []float32, lds int, stream rng.Stream, row0, col0 int) {
	o := gemmOp{tA: tA, m: m, n: b.n, k: b.k, alpha: alpha, a: a, lda: lda, pb: b, c: c, ldc: ldc,
		ep: asm.GemmBiasSigmoidSample, bias: bias, s: s, lds: lds, stream: stream, row0: row0, col0: col0}
	o.check("blocked: ")
	o.run(r)
}

// gemmOp is one product with its epilogue.
type gemmOp struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	a           []float32
	lda         int
	b           []float32
	ldb         int
	pb          *PackedB // op(B) when non-nil
	c           []float32
	ldc         int
	ep          asm.GemmEpilogue
	bias        []float32
	s           []float32
	lds         int
	stream      rng.Stream
	row0, col0  int
	scale       []float32 // the per-row scale of the write-back (asm.GemmArgs.Scale), or nil
}

// check panics with gonum's message (its "blas: " replaced by prefix) if the
// arguments are bad.
func (o *gemmOp) check(prefix string) {
	if msg := o.checkMsg(); msg != "" {
		panic(prefix + msg)
	}
}

// checkMsg returns gonum's Sgemm panic message without its "blas: " prefix
// for bad arguments, in gonum's order, or "".
func (o *gemmOp) checkMsg() string {
	if o.pb != nil && o.pb.stride < tileNR*o.k {
		return "PackedB not initialised"
	}
	switch {
	case o.m < 0:
		return "m < 0"
	case o.n < 0:
		return "n < 0"
	case o.k < 0:
		return "k < 0"
	}
	if o.tA {
		if o.lda < max(1, o.m) {
			return "bad leading dimension of A"
		}
	} else if o.lda < max(1, o.k) {
		return "bad leading dimension of A"
	}
	if o.pb == nil {
		if o.tB {
			if o.ldb < max(1, o.k) {
				return "bad leading dimension of B"
			}
		} else if o.ldb < max(1, o.n) {
			return "bad leading dimension of B"
		}
	}
	if o.ldc < max(1, o.n) {
		return "bad leading dimension of C"
	}
	if o.ep == asm.GemmBiasSigmoidSample && o.lds < max(1, o.n) {
		return "bad leading dimension of S"
	}
	if o.m == 0 || o.n == 0 {
		return ""
	}
	if o.tA {
		if len(o.a) < (o.k-1)*o.lda+o.m {
			return "insufficient length of a"
		}
	} else if len(o.a) < (o.m-1)*o.lda+o.k {
		return "insufficient length of a"
	}
	if o.pb == nil {
		if o.tB {
			if len(o.b) < (o.n-1)*o.ldb+o.k {
				return "insufficient length of b"
			}
		} else if len(o.b) < (o.k-1)*o.ldb+o.n {
			return "insufficient length of b"
		}
	}
	if len(o.c) < (o.m-1)*o.ldc+o.n {
		return "insufficient length of c"
	}
	if o.ep != asm.GemmAlphaBeta && len(o.bias) < o.n {
		return "insufficient length of bias"
	}
	if o.ep == asm.GemmBiasSigmoidSample && len(o.s) < (o.m-1)*o.lds+o.n {
		return "insufficient length of s"
	}
	if o.scale != nil && len(o.scale) < o.m {
		return "insufficient length of scale"
	}
	return ""
}

// job is a product being run: the operation, how it is split, and fn, the
// method value part bound once when the job is made, so that passing it to
// a Runner does not allocate.
type job struct {
	gemmOp
	byCols bool
	fn     func(part, lo, hi int)
}

var jobPool = sync.Pool{New: func() any {
	j := new(job)
	j.fn = j.part
	return j
}}

// workspace holds one worker's packing buffers.
type workspace struct{ a, b []float32 }

var wsPool = sync.Pool{New: func() any { return new(workspace) }}

func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// Costs, in units of one multiply-add at the kernel's speed, used to choose
// how to split the output between workers.
const packCost = 6 // packing one element

// run runs the checked operation o with r.
func (o *gemmOp) run(r Runner) {
	m, n, k := o.m, o.n, o.k
	if m == 0 || n == 0 {
		return
	}
	if (o.alpha == 0 || k == 0) && o.ep == asm.GemmAlphaBeta && o.beta == 1 && o.scale == nil {
		return
	}
	j := jobPool.Get().(*job)
	j.gemmOp = *o
	w := workers(r)
	pm := (m + tileMR - 1) / tileMR
	pn := (n + tileNR - 1) / tileNR
	// The worker with the most work: by columns every worker packs all of
	// op(A); by rows every worker packs all of op(B) (unless packed).
	colCost := (pn+w-1)/w*tileNR*m*k + packCost*m*k
	rowCost := (pm+w-1)/w*tileMR*n*k + packCost*n*k
	if o.pb != nil {
		rowCost -= packCost * n * k
	}
	j.byCols = colCost <= rowCost
	switch {
	case w == 1 || r == nil:
		j.byCols = true
		j.fn(0, 0, n)
	case j.byCols:
		r.Run(n, tileNR, j.fn)
	default:
		r.Run(m, tileMR, j.fn)
	}
	j.gemmOp = gemmOp{}
	jobPool.Put(j)
}

// part computes the rows [lo, hi) (or the columns [lo, hi) when byCols) of C.
func (j *job) part(part, lo, hi int) {
	o := &j.gemmOp
	i0, i1, j0, j1 := 0, o.m, 0, o.n
	if j.byCols {
		j0, j1 = lo, hi
	} else {
		i0, i1 = lo, hi
	}
	if i0 >= i1 || j0 >= j1 {
		return
	}
	args := asm.GemmArgs{
		N: j1 - j0, LDC: o.ldc, Alpha: o.alpha, Beta: o.beta, Epilogue: o.ep,
		LDS: o.lds, Stream: o.stream,
	}
	if o.ep != asm.GemmAlphaBeta {
		args.Beta = 0
	}
	if o.alpha == 0 || o.k == 0 {
		// C = β·C, or the epilogue of a zero product: a K = 0 kernel call,
		// which reads neither A nor B.
		args.M, args.K, args.Alpha = i1-i0, 0, 0
		if o.scale != nil {
			args.Scale = o.scale[i0:i1]
		}
		o.setOut(&args, i0, j0)
		asm.GemmKernel(&args)
		return
	}
	ws := wsPool.Get().(*workspace)
	k := o.k
	kc := kBlock(k)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		args.K = kb
		args.Epilogue = asm.GemmAlphaBeta
		if pc+kb == k {
			args.Epilogue = o.ep
		}
		if pc > 0 {
			args.Beta = 1
		}
		mc := mcBlock(kb)
		nc := ncBlock(kb)
		scaled := o.scale != nil && pc+kb == k // the scale is the last block's epilogue
		for ic := i0; ic < i1; ic += mc {
			mb := min(mc, i1-ic)
			args.M = mb
			args.Scale = nil
			if scaled {
				args.Scale = o.scale[ic : ic+mb]
			}
			if o.tA {
				pa := grow(&ws.a, mb*kb)
				asm.GemmPackA(pa, true, o.a[pc*o.lda+ic:], o.lda, mb, kb)
				args.A, args.LDA = pa, 0
			} else {
				// The kernel reads A's rows in place: as fast as a packed
				// panel (kb ≤ kcMax keeps 6 rows of the block in L1), and
				// every worker of a column split would pack all of A.
				args.A, args.LDA = o.a[ic*o.lda+pc:], o.lda
			}
			for jc := j0; jc < j1; jc += nc {
				nb := min(nc, j1-jc)
				args.N = nb
				if o.pb != nil {
					args.B = o.pb.data[jc/tileNR*o.pb.stride+pc*tileNR:]
					args.BStride = o.pb.stride
				} else {
					args.BStride = tileNR * kb
					pb := grow(&ws.b, asm.GemmPackedBLen(kb, nb, args.BStride))
					if o.tB {
						asm.GemmPackB(pb, true, o.b[jc*o.ldb+pc:], o.ldb, kb, nb, args.BStride)
					} else {
						asm.GemmPackB(pb, false, o.b[pc*o.ldb+jc:], o.ldb, kb, nb, args.BStride)
					}
					args.B = pb
				}
				o.setOut(&args, ic, jc)
				asm.GemmKernel(&args)
			}
		}
	}
	wsPool.Put(ws)
}

// setOut points args's outputs at row i and column j of C (and S).
func (o *gemmOp) setOut(args *asm.GemmArgs, i, j int) {
	args.C = o.c[i*o.ldc+j:]
	if o.ep != asm.GemmAlphaBeta {
		args.Bias = o.bias[j:]
	}
	if o.ep == asm.GemmBiasSigmoidSample {
		args.S = o.s[i*o.lds+j:]
		args.Row0, args.Col0 = o.row0+i, o.col0+j
	}
}
