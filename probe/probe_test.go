package probe

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// blobs returns n rows of d features in k well-separated Gaussian clusters.
func blobs(n, d, k int, sep float64, seed uint64) Data {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = sep * r.NormFloat64()
	}
	x := make([]float64, n*d)
	lab := make([]int32, n)
	for i := 0; i < n; i++ {
		c := i % k
		lab[i] = int32(c)
		for j := 0; j < d; j++ {
			x[i*d+j] = centres[c*d+j] + r.NormFloat64()
		}
	}
	return Data{X: x, Rows: n, Cols: d, Labels: lab}
}

func TestObjectiveGradientFiniteDifferences(t *testing.T) {
	d := blobs(37, 5, 4, 1, 3)
	k, lambda := 4, 0.3
	r := rand.New(rand.NewPCG(9, 9))
	x := make([]float64, k*(d.Cols+1))
	for i := range x {
		x[i] = 0.5 * r.NormFloat64()
	}
	g := make([]float64, len(x))
	Objective(d, k, lambda, x, g, nil)
	const h = 1e-6
	for i := range x {
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		fd := (Objective(d, k, lambda, xp, nil, nil) - Objective(d, k, lambda, xm, nil, nil)) / (2 * h)
		if math.Abs(fd-g[i]) > 1e-7*math.Max(1, math.Abs(fd)) {
			t.Errorf("component %d: gradient %v, finite difference %v", i, g[i], fd)
		}
	}
}

func TestObjectiveAtZeroIsLogK(t *testing.T) {
	d := blobs(20, 3, 5, 1, 1)
	x := make([]float64, 5*4)
	if f := Objective(d, 5, 1, x, nil, nil); math.Abs(f-math.Log(5)) > 1e-12 {
		t.Fatalf("f(0) = %v, want log 5 = %v", f, math.Log(5))
	}
	// The penalty is λ/2 ‖W‖² on W only, not the biases.
	x[0], x[len(x)-1] = 2, 7
	with := Objective(d, 5, 1, x, nil, nil)
	without := Objective(d, 5, 0, x, nil, nil)
	if math.Abs(with-without-2) > 1e-12 {
		t.Fatalf("penalty %v, want ½·1·2² = 2", with-without)
	}
}

func TestFitSeparable(t *testing.T) {
	train := blobs(600, 10, 3, 6, 1)
	test := blobs(300, 10, 3, 6, 1) // same centres (seed), fresh noise
	test = Data{X: test.X, Rows: test.Rows, Cols: test.Cols, Labels: test.Labels}
	m, err := Fit(train, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]Data{"train": train, "test": test} {
		e, err := m.Error(d)
		if err != nil {
			t.Fatal(err)
		}
		if e > 0.005 {
			t.Errorf("%s error %v on separable classes, want ≈ 0", name, e)
		}
	}
	if m.Iterations == 0 || m.K != 3 {
		t.Errorf("iterations %d, K %d", m.Iterations, m.K)
	}
}

func TestFitStopsAtGradientTolerance(t *testing.T) {
	d := blobs(200, 4, 3, 1, 5) // overlapping classes: a finite optimum
	m, err := Fit(d, Options{MaxIter: 1000, Tol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	x := append(append([]float64(nil), m.W...), m.B...)
	g := make([]float64, len(x))
	Objective(d, m.K, 1/float64(d.Rows), x, g, nil)
	for i, v := range g {
		if math.Abs(v)*float64(d.Rows) > 1e-5 {
			t.Fatalf("gradient component %d is %v (×n = %v) at the solution, status %s", i, v, v*float64(d.Rows), m.Status)
		}
	}
	// A larger C (less penalty) gives a larger ‖W‖.
	m2, err := Fit(d, Options{C: 100, MaxIter: 1000, Tol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	if norm(m2.W) <= norm(m.W) {
		t.Fatalf("‖W‖ with C = 100 is %v, with C = 1 %v", norm(m2.W), norm(m.W))
	}
}

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

func TestBadInput(t *testing.T) {
	good := blobs(10, 2, 2, 1, 1)
	cases := map[string]Data{
		"no labels":      {X: good.X, Rows: 10, Cols: 2},
		"short labels":   {X: good.X, Rows: 10, Cols: 2, Labels: good.Labels[:9]},
		"negative label": {X: good.X, Rows: 10, Cols: 2, Labels: append([]int32{-1}, good.Labels[1:]...)},
		"shape":          {X: good.X[:19], Rows: 10, Cols: 2, Labels: good.Labels},
		"one class":      {X: good.X, Rows: 10, Cols: 2, Labels: make([]int32, 10)},
		"nan":            {X: append([]float64{math.NaN()}, good.X[1:]...), Rows: 10, Cols: 2, Labels: good.Labels},
	}
	for name, d := range cases {
		if _, err := Fit(d, Options{}); !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
	m, err := Fit(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Labels = append([]int32{5}, good.Labels[1:]...)
	if _, err := m.Error(bad); !errors.Is(err, ErrInput) {
		t.Errorf("unseen class: error %v, want ErrInput", err)
	}
	if _, err := m.Error(Data{X: make([]float64, 9), Rows: 3, Cols: 3, Labels: []int32{0, 1, 0}}); !errors.Is(err, ErrInput) {
		t.Errorf("wrong width: error %v", err)
	}
	if _, err := FromFloat32(make([]float32, 5), 2, 3, nil); !errors.Is(err, ErrInput) {
		t.Errorf("FromFloat32 bad shape: %v", err)
	}
}
