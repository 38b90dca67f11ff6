package asm

import (
	"testing"
	"time"
)

func TestFMALoop(t *testing.T) {
	FMALoop(0)
	FMALoop(-1)
	FMALoop(1)
	const n = 1 << 20
	start := time.Now()
	FMALoop(n)
	d := time.Since(start)
	t.Logf("%s: %.1f GFLOP/s", Features(), float64(n)*FMAPeakFlopsPerIter/d.Seconds()/1e9)
}

// BenchmarkFMAPeak reports this core's float32 FMA peak.
func BenchmarkFMAPeak(b *testing.B) {
	const n = 1 << 16
	b.ReportAllocs()
	for b.Loop() {
		FMALoop(n)
	}
	b.ReportMetric(float64(n)*FMAPeakFlopsPerIter*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
