package engine

import (
	"context"
	"testing"
)

func BenchmarkZZAIS(b *testing.B) {
	m, _ := NewRBM(784, 500, 0.05, 1)
	for i := 0; i < b.N; i++ {
		if _, err := m.AIS(context.Background(), AISOptions{Runs: 100, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
