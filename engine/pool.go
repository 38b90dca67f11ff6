package engine

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
	gen     atomic.Uint64 // phase number << 8 | parts; workers wait for it to change
	pending atomic.Int64  // parts not finished yet
	wake    []chan struct{}
	done    chan struct{}
	sleep   []atomic.Bool // worker w is parked (or about to park)
	closed  atomic.Bool
}

// maxWorkers bounds the parts of one phase (the part count lives in 8 bits).
const maxWorkers = 255

// spinBudget is how long a worker polls for the next phase before parking.
const spinBudget = 200 * time.Microsecond

// NewPool starts a pool of n workers (GOMAXPROCS when n ≤ 0).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
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
	p.gen.Add(1 << 8)
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
	if parts > maxWorkers {
		parts = maxWorkers
	}
	if parts < 1 {
		parts = 1
	}
	return parts
}

// bounds returns part k of [0, total) split into parts nearly equal pieces,
// each a multiple of align items except the last.
func bounds(total, parts, k, align int) (lo, hi int) {
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
	p.gen.Store((g>>8+1)<<8 | uint64(parts))
	for w := 1; w < parts; w++ {
		if p.sleep[w].Load() {
			select {
			case p.wake[w] <- struct{}{}:
			default:
			}
		}
	}
	lo, hi := bounds(n, parts, 0, grain)
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
		if parts := int(seen & 0xff); w < parts {
			lo, hi := bounds(p.total, parts, w, p.grain)
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
