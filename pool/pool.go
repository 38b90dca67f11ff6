// Package pool is boltz's persistent worker pool: it runs one parallel phase
// at a time over contiguous parts of a range, without allocating. The engine
// runs every phase of a CD step on one, and it satisfies blocked.Runner, so
// blocked's GEMMs can share it.
package pool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a persistent set of worker goroutines that runs one parallel phase
// at a time. A phase splits [0, n) into contiguous parts, one a worker; the
// calling goroutine takes part 0, so a Pool of one worker starts no
// goroutine at all. Run does not allocate.
//
// Workers spin for a short while after a phase before they park, because
// waking a parked goroutine costs tens of microseconds on small VMs while a
// CD step has only a few phases of a few hundred microseconds each.
type Pool struct {
	n       int
	mu      sync.Mutex // one phase at a time
	fn      func(part, lo, hi int)
	total   int
	grain   int
	gen     atomic.Uint64 // phase number << partBits | parts; workers wait for it to change
	pending atomic.Int64  // parts not finished yet
	wake    []chan struct{}
	done    chan struct{}
	sleep   []atomic.Bool // worker w is parked (or about to park)
	closed  atomic.Bool
}

// MaxWorkers bounds the workers of a pool (the part count of a phase lives
// in the low 16 bits of its phase number).
const MaxWorkers = 1<<16 - 1

// partBits is the width of the part count in Pool.gen.
const partBits = 16

// spinBudget is how long a worker polls for the next phase before parking.
const spinBudget = 200 * time.Microsecond

// New starts a pool of n workers (GOMAXPROCS when n ≤ 0), at most
// MaxWorkers.
func New(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	n = min(n, MaxWorkers)
	p := &Pool{n: n, done: make(chan struct{}, 1)}
	p.wake = make([]chan struct{}, n)
	p.sleep = make([]atomic.Bool, n)
	for w := 1; w < n; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

// Workers returns the number of workers.
func (p *Pool) Workers() int { return p.n }

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p.closed.Swap(true) {
		return
	}
	p.gen.Add(1 << partBits)
	for w := 1; w < p.n; w++ {
		close(p.wake[w])
	}
}

// Parts returns how many parts Run would split n items into with the given
// grain: at most one a worker and none smaller than grain items.
func (p *Pool) Parts(n, grain int) int {
	if grain < 1 {
		grain = 1
	}
	parts := (n + grain - 1) / grain
	if parts > p.n {
		parts = p.n
	}
	if parts > MaxWorkers {
		parts = MaxWorkers
	}
	if parts < 1 {
		parts = 1
	}
	return parts
}

// Bounds returns part k of [0, total) split into parts nearly equal pieces,
// each a multiple of align items except the last: the ranges Run gives
// fn(k, lo, hi) for parts = Parts(total, align).
func Bounds(total, parts, k, align int) (lo, hi int) {
	units := (total + align - 1) / align
	lo = units * k / parts * align
	hi = units * (k + 1) / parts * align
	if lo > total {
		lo = total
	}
	if hi > total {
		hi = total
	}
	return
}

// Run calls fn(part, lo, hi) on disjoint ranges covering [0, n), in
// parallel, and returns when all have returned; part < Workers() numbers the
// range, so fn can use per-part scratch. Ranges hold at least grain items (except
// when n < grain) and start at multiples of grain, so kernels can keep their
// tiles whole. fn must not call Run on the same pool.
func (p *Pool) Run(n, grain int, fn func(part, lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	parts := p.Parts(n, grain)
	if parts == 1 {
		fn(0, 0, n)
		return
	}
	p.mu.Lock()
	p.fn, p.total, p.grain = fn, n, grain
	p.pending.Store(int64(parts - 1))
	g := p.gen.Load()
	p.gen.Store((g>>partBits+1)<<partBits | uint64(parts))
	for w := 1; w < parts; w++ {
		if p.sleep[w].Load() {
			select {
			case p.wake[w] <- struct{}{}:
			default:
			}
		}
	}
	lo, hi := Bounds(n, parts, 0, grain)
	fn(0, lo, hi)
	// Wait for the others: spin briefly, then block on done. A signal left
	// over from an earlier phase only costs one more look at pending.
	start := time.Now()
	for p.pending.Load() > 0 {
		if time.Since(start) > spinBudget {
			<-p.done
			continue
		}
		runtime.Gosched()
	}
	p.fn = nil
	p.mu.Unlock()
}

func (p *Pool) worker(w int) {
	var seen uint64 // the value of gen when the pool was made, before any phase
	for {
		// Wait for a new phase: spin, then park.
		start := time.Now()
		for p.gen.Load() == seen {
			if time.Since(start) < spinBudget {
				runtime.Gosched()
				continue
			}
			p.sleep[w].Store(true)
			if p.gen.Load() == seen {
				<-p.wake[w]
			}
			p.sleep[w].Store(false)
			start = time.Now()
		}
		if p.closed.Load() {
			return
		}
		seen = p.gen.Load()
		// Only the workers of this phase read its fields: Run waits for them.
		if parts := int(seen & (1<<partBits - 1)); w < parts {
			lo, hi := Bounds(p.total, parts, w, p.grain)
			p.fn(w, lo, hi)
			if p.pending.Add(-1) == 0 {
				select {
				case p.done <- struct{}{}:
				default:
				}
			}
		}
	}
}
