package asm

import "testing"

// TestFMALoop checks the peak loop's bookkeeping on every level: no work for
// n ≤ 0, whole chunks and a remainder for larger n (the Go twin's sum shows
// how many iterations ran), and a positive flop count per iteration.
func TestFMALoop(t *testing.T) {
	eachImpl(t, func(t *testing.T, im *Impl) {
		if im.FMAFlopsPerIter() <= 0 {
			t.Fatalf("FMAFlopsPerIter() = %d", im.FMAFlopsPerIter())
		}
		im.FMALoop(0)
		im.FMALoop(-1)
		im.FMALoop(fmaPeakChunk + 3)
	})
	// The twin: each iteration adds 0.5·0.25 to every accumulator, exactly.
	for _, n := range []int{1, 7, fmaPeakChunk, fmaPeakChunk + 5} {
		fmaSink = -1
		fmaPeakGeneric(n)
		if want := float32(n) * 0.125; fmaSink != want {
			t.Errorf("fmaPeakGeneric(%d) summed %v, want %v", n, fmaSink, want)
		}
	}
	fmaSink = -1
	genericImpl.FMALoop(0)
	if fmaSink != -1 {
		t.Error("FMALoop(0) ran an iteration")
	}
}

// BenchmarkFMAPeak reports each level's float32 FMA peak on this core.
func BenchmarkFMAPeak(b *testing.B) {
	const n = 1 << 16
	for _, im := range Supported() {
		b.Run("impl="+im.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				im.FMALoop(n)
			}
			b.ReportMetric(float64(n)*float64(im.FMAFlopsPerIter())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
