package kernel

import (
	"math"
	"testing"
)

func TestActiveBuild(t *testing.T) {
	x := Mat{Rows: 3, Cols: 4, Stride: 5, Data: []float32{
		0, 1, 0, 1, 9,
		0, 0, 0, 0, 9,
		1, 1, 1, 1}}
	a := NewActive(4, 4)
	n, ok := a.Build(x, 1)
	if !ok || n != 6 || a.Rows() != 3 {
		t.Fatalf("Build = %d, %v, %d rows; want 6, true, 3", n, ok, a.Rows())
	}
	for r, want := range [][]int32{{1, 3}, {}, {0, 1, 2, 3}} {
		if got := a.Row(r); len(got) != len(want) || (len(want) > 0 && got[len(got)-1] != want[len(want)-1]) {
			t.Fatalf("row %d: %v, want %v", r, got, want)
		}
	}
	if v := a.RowSlice(1, 3); v.Rows() != 2 || len(v.Row(1)) != 4 {
		t.Fatalf("RowSlice(1, 3): %d rows, row 1 %v", v.Rows(), v.Row(1))
	}
	x.Data[7] = 0.5
	if _, ok := a.Build(x, 1); ok {
		t.Fatal("Build accepted 0.5")
	}
	x.Data[7] = 1
	if _, ok := a.Build(x, 0.25); ok {
		t.Fatal("Build accepted 1 for value 0.25")
	}
}

// TestBinaryReference checks UpBinary and DownBinary against the dense sums.
func TestBinaryReference(t *testing.T) {
	w := Mat{Rows: 2, Cols: 3, Stride: 3, Data: []float32{1, 2, 3, 4, 5, float32(math.Inf(1))}}
	x := Mat{Rows: 2, Cols: 3, Stride: 3, Data: []float32{0.5, 0, 0.5, 0, 0.5, 0}}
	a := NewActive(2, 3)
	if _, ok := a.Build(x, 0.5); !ok {
		t.Fatal("Build")
	}
	out := NewMat(2, 2)
	UpBinary(out, *a, w, []float32{10, 20}, Linear, nil)
	want := []float32{10 + 0.5*1 + 0.5*3, 20 + float32(math.Inf(1)), 10 + 0.5*2, 20 + 0.5*5}
	for i := range want {
		if out.Data[i] != want[i] {
			t.Fatalf("UpBinary: %v, want %v", out.Data, want)
		}
	}
	h := Mat{Rows: 1, Cols: 2, Stride: 2, Data: []float32{0, 0.5}}
	if _, ok := a.Build(h, 0.5); !ok {
		t.Fatal("Build")
	}
	o := NewMat(1, 3)
	DownBinary(o, *a, w, []float32{1, 1, 1}, Sigmoid, nil)
	for j, s := range []float64{1 + 2, 1 + 2.5, math.Inf(1)} {
		if want := float32(1 / (1 + math.Exp(-s))); o.Data[j] != want {
			t.Fatalf("DownBinary: %v at %d, want %v", o.Data[j], j, want)
		}
	}
}
