package engine

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

var soakFor = flag.Duration("boltz.soak", 0, "run TestSoak for this long (default: 2s, 0.5s with -short)")

// TestSoak repeats train, cancel, checkpoint, resume cycles for a bounded
// time, with inference running on the model being trained, on engines of
// changing worker counts, and checks that every finished run equals the
// uninterrupted one bit for bit and that the heap and the goroutine count
// do not grow from cycle to cycle. go test -run TestSoak -boltz.soak=10m
// soaks longer.
func TestSoak(t *testing.T) {
	d := *soakFor
	if d == 0 {
		d = 2 * time.Second
		if testing.Short() {
			d = 500 * time.Millisecond
		}
	}
	const V, H = 36, 20
	data := patterns(240, V, 12)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.PCD, cfg.K, cfg.Chains, cfg.SparsityTarget, cfg.MomentumEpochs = 3, 16, true, 2, 9, 0.05, 1
	fresh := func(e *Engine) *Trainer {
		m, _ := NewRBM(V, H, 0.01, 4)
		m.SetEngine(e)
		m.InitVisibleBias(data)
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	newEngine := func(workers int) *Engine {
		e, err := New(WithKernel(Generic), WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e0 := newEngine(1)
	ref := fresh(e0)
	if err := ref.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	want := modelBytes(ref.Model())
	e0.Close()
	total := uint64(cfg.Epochs * 15)

	rnd := rand.New(rand.NewPCG(1, 2))
	var heap0 uint64
	var gor0 int
	deadline := time.Now().Add(d)
	cycles, resumes := 0, 0
	for cycles < 2 || time.Now().Before(deadline) {
		e := newEngine(1 + rnd.IntN(3))
		tr := fresh(e)
		for {
			// Inference on the model being trained, for the whole segment.
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for g := 0; g < 2; g++ {
				wg.Add(1)
				go func(m *RBM) {
					defer wg.Done()
					out := make([]float32, 10*H)
					for ctx.Err() == nil {
						if err := m.HiddenProbs(out, data[:10*V]); err != nil {
							t.Error(err)
							return
						}
					}
				}(tr.Model())
			}
			stopAt := tr.Steps() + 1 + uint64(rnd.IntN(int(total)))
			fctx, cancel := context.WithCancel(context.Background())
			err := tr.Fit(fctx, data, FitOptions{OnBatch: func(_, _, _ int) {
				if tr.Steps() == stopAt {
					cancel()
				}
			}})
			cancel()
			stop()
			wg.Wait()
			if err == nil {
				break
			}
			var buf bytes.Buffer
			if err := tr.WriteCheckpoint(&buf, nil); err != nil {
				t.Fatal(err)
			}
			ck, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			e.Close()
			e = newEngine(1 + rnd.IntN(3))
			if tr, err = ck.Resume(e); err != nil {
				t.Fatal(err)
			}
			resumes++
		}
		if !bytes.Equal(modelBytes(tr.Model()), want) {
			t.Fatalf("cycle %d: the interrupted and resumed run differs from the uninterrupted one", cycles)
		}
		e.Close()
		cycles++
		if cycles == 1 {
			heap0, gor0 = heapAfterGC(), runtime.NumGoroutine()
		}
	}
	heap, gor := heapAfterGC(), runtime.NumGoroutine()
	t.Logf("%d cycles, %d resumes in %v; heap %d → %d bytes, goroutines %d → %d", cycles, resumes, d, heap0, heap, gor0, gor)
	if heap > heap0+4<<20 {
		t.Errorf("heap grew from %d to %d bytes over %d cycles", heap0, heap, cycles)
	}
	if gor > gor0+2 {
		t.Errorf("goroutines grew from %d to %d over %d cycles", gor0, gor, cycles)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
