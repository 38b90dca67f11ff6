package pool

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolCoversRange checks that Run calls fn on disjoint ranges that cover
// [0, n) exactly once, aligned to the grain, for many sizes and pool sizes,
// including phases started right after the pool and after workers parked.
func TestPoolCoversRange(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 7} {
		p := New(workers)
		for _, n := range []int{1, 2, 5, 16, 17, 100, 1000} {
			for _, grain := range []int{1, 4, 16} {
				hits := make([]atomic.Int32, n)
				var calls atomic.Int32
				p.Run(n, grain, func(part, lo, hi int) {
					calls.Add(1)
					if lo%grain != 0 || part >= workers {
						t.Errorf("part %d range [%d,%d) not aligned to %d", part, lo, hi, grain)
					}
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
				})
				for i := range hits {
					if hits[i].Load() != 1 {
						t.Fatalf("workers=%d n=%d grain=%d: item %d done %d times", workers, n, grain, i, hits[i].Load())
					}
				}
				if int(calls.Load()) > workers {
					t.Fatalf("%d calls for %d workers", calls.Load(), workers)
				}
			}
		}
		time.Sleep(2 * spinBudget) // let the workers park, then wake them
		var sum atomic.Int64
		p.Run(64, 1, func(_, lo, hi int) { sum.Add(int64(hi - lo)) })
		if sum.Load() != 64 {
			t.Errorf("after parking: covered %d of 64", sum.Load())
		}
		p.Close()
	}
}

func TestPoolRunAllocs(t *testing.T) {
	p := New(3)
	defer p.Close()
	fn := func(_, lo, hi int) {}
	if a := testing.AllocsPerRun(100, func() { p.Run(300, 1, fn) }); a != 0 {
		t.Errorf("Run allocates %v times", a)
	}
}

// TestPoolManyWorkers: a pool of more than 255 workers (a part count that
// no longer fits in 8 bits) gives every worker a part.
func TestPoolManyWorkers(t *testing.T) {
	const n = 300
	p := New(n)
	defer p.Close()
	if p.Workers() != n {
		t.Fatalf("Workers() = %d, want %d", p.Workers(), n)
	}
	var parts [n]atomic.Int32
	p.Run(n, 1, func(part, lo, hi int) {
		if hi-lo != 1 || lo != part {
			t.Errorf("part %d got [%d,%d)", part, lo, hi)
		}
		parts[part].Add(1)
	})
	for i := range parts {
		if parts[i].Load() != 1 {
			t.Fatalf("part %d ran %d times", i, parts[i].Load())
		}
	}
	if got := p.Parts(MaxWorkers+5, 1); got != n {
		t.Errorf("Parts = %d, want the %d workers", got, n)
	}
}
