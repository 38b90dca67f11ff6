package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/boltzgo/boltz/blocked"
	"github.com/boltzgo/boltz/engine"
)

const benchAbout = `Measures this machine: first the single-core kernels of the backend (for
the asm backend: the float32 FMA peak of its level, a tiny loop of
independent FMAs on registers, then its sigmoid, sigmoid-matvec and GEMM
micro-kernel), then the CD-1 training step and the GEMMs it is made of, with
the chosen kernel and worker count. Each
case runs for --time, repeated --repeat times; the median is reported, as
GFLOP/s, as a fraction of the peak of the cores used (single-core peak ×
workers), and as the projected seconds of one MNIST epoch (60,000 rows):
for "cd1" 60000/B steps of 10·B·V·H flops; for "sgemm" (m×n×k, with
batch = m, hidden = n, visible = k) 60000/m calls of 2·m·n·k flops.`

type benchCase struct {
	Name            string  `json:"name"`
	Visible         int     `json:"visible"`
	Hidden          int     `json:"hidden"`
	Batch           int     `json:"batch"`
	GFLOPS          float64 `json:"gflops"`
	FractionOfPeak  float64 `json:"fraction_of_peak"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
}

// kernelRow is one single-core kernel measurement.
type kernelRow struct {
	Name           string  `json:"name"`
	Value          float64 `json:"value"`
	Unit           string  `json:"unit"`
	FractionOfPeak float64 `json:"fraction_of_peak,omitempty"`
}

type benchReport struct {
	Kernel         string      `json:"kernel"`
	KernelLevel    string      `json:"kernel_level,omitempty"`
	GOMAXPROCS     int         `json:"gomaxprocs"`
	Workers        int         `json:"workers"`
	FMAPeakGFLOPS  float64     `json:"fma_peak_gflops"` // one core
	Kernels        []kernelRow `json:"kernels"`         // one core each
	Cases          []benchCase `json:"cases"`
	FMAPeakMeasure string      `json:"fma_peak_method"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	var (
		ef     engineFlags
		asJSON bool
		dur    time.Duration
		repeat int
		quick  bool
	)
	fs := newFlags("bench", "[flags]", benchAbout, stderr)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.DurationVar(&dur, "time", 300*time.Millisecond, "minimum time of one measurement")
	fs.IntVar(&repeat, "repeat", 5, "measurements per case (the median is reported)")
	fs.BoolVar(&quick, "quick", false, "only the MNIST 784×500 B=100 cases")
	ef.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if dur <= 0 || repeat < 1 {
		return usagef("--time and --repeat must be positive")
	}
	eng, err := ef.engine()
	if err != nil {
		return err
	}
	defer eng.Close()
	rep := benchReport{Kernel: eng.Kernel().Name(), GOMAXPROCS: runtime.GOMAXPROCS(0), Workers: eng.Workers()}
	if d, ok := eng.Kernel().(engine.Describer); ok {
		rep.KernelLevel = d.Level()
	}
	cases, from, err := benchCases(eng)
	if err != nil {
		return err
	}
	rows := kernelRows(cases, dur, repeat)
	for _, k := range rows {
		if k.peak {
			rep.FMAPeakGFLOPS = k.Value
			rep.FMAPeakMeasure = k.Name + " (" + from + ") on one goroutine, median of " + fmt.Sprint(repeat)
		}
	}
	peak := rep.FMAPeakGFLOPS * float64(eng.Workers())
	if !asJSON {
		fmt.Fprintf(stdout, "kernel %s, %d workers, GOMAXPROCS %d; FMA peak %.1f GFLOP/s a core (%s)\n",
			engine.KernelID(eng.Kernel()), rep.Workers, rep.GOMAXPROCS, rep.FMAPeakGFLOPS, rep.FMAPeakMeasure)
	}
	for _, k := range rows {
		if k.flops && rep.FMAPeakGFLOPS > 0 {
			k.FractionOfPeak = k.Value / rep.FMAPeakGFLOPS
		}
		rep.Kernels = append(rep.Kernels, k.kernelRow)
		if !asJSON {
			frac := ""
			if k.FractionOfPeak > 0 {
				frac = fmt.Sprintf("  (%.0f%% of the core's peak)", 100*k.FractionOfPeak)
			}
			fmt.Fprintf(stdout, "kernel %-34s %8.3f %s%s\n", k.Name, k.Value, k.Unit, frac)
		}
	}
	if !asJSON {
		fmt.Fprintf(stdout, "%-6s %6s %6s %6s %9s %7s %10s\n", "case", "V/k", "H/n", "B/m", "GFLOP/s", "peak", "s/epoch")
	}
	type shape struct{ v, h, b int }
	cd := []shape{{784, 100, 1}, {784, 100, 16}, {784, 100, 100}, {784, 100, 256},
		{784, 500, 1}, {784, 500, 16}, {784, 500, 100}, {784, 500, 256}, {4096, 4096, 256}}
	gemm := [][3]int{{100, 784, 500}, {100, 500, 784}, {500, 784, 200}, {256, 784, 500}, {1024, 1024, 1024}}
	if quick {
		cd = []shape{{784, 500, 100}}
		gemm = [][3]int{{100, 500, 784}}
	}
	emit := func(c benchCase) {
		c.FractionOfPeak = c.GFLOPS / peak
		rep.Cases = append(rep.Cases, c)
		if !asJSON {
			fmt.Fprintf(stdout, "%-6s %6d %6d %6d %9.1f %6.0f%% %10.2f\n", c.Name, c.Visible, c.Hidden, c.Batch, c.GFLOPS, 100*c.FractionOfPeak, c.SecondsPerEpoch)
		}
	}
	for _, s := range cd {
		step, err := cdStepper(eng, s.v, s.h, s.b)
		if err != nil {
			return err
		}
		secs := median(repeat, func() float64 { return 1 / measure(dur, step) })
		emit(benchCase{Name: "cd1", Visible: s.v, Hidden: s.h, Batch: s.b,
			GFLOPS: 10 * float64(s.b*s.v) * float64(s.h) / secs / 1e9, SecondsPerEpoch: secs * 60000 / float64(s.b)})
	}
	for _, g := range gemm {
		m, n, k := g[0], g[1], g[2]
		a, b, c := randSlice(m*k), randSlice(k*n), make([]float32, m*n)
		call := func() { blocked.Sgemm(eng.Pool(), false, false, m, n, k, 1, a, k, b, n, 0, c, n) }
		secs := median(repeat, func() float64 { return 1 / measure(dur, call) })
		emit(benchCase{Name: "sgemm", Visible: k, Hidden: n, Batch: m,
			GFLOPS: 2 * float64(m*n) * float64(k) / secs / 1e9, SecondsPerEpoch: secs * 60000 / float64(m)})
	}
	if asJSON {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(b))
	}
	return nil
}

// benchCases returns the single-core cases of the engine's kernel when it
// measures its own (engine.Bencher), else those of the asm backend, which
// gives the machine's FMA peak; from says whose they are.
func benchCases(eng *engine.Engine) (cases []engine.BenchCase, from string, err error) {
	if b, ok := eng.Kernel().(engine.Bencher); ok {
		return b.BenchCases(), engine.KernelID(eng.Kernel()), nil
	}
	k, err := engine.KernelByName("asm")
	if err != nil {
		return nil, "", err
	}
	b, ok := k.(engine.Bencher)
	if !ok {
		return nil, "", nil
	}
	return b.BenchCases(), engine.KernelID(k), nil
}

// cdStepper returns a function doing one CD-1 step of a V×H model on a
// random binary batch of B rows.
func cdStepper(eng *engine.Engine, V, H, B int) (func(), error) {
	m, err := engine.NewRBM(V, H, 0.01, 1)
	if err != nil {
		return nil, err
	}
	m.SetEngine(eng)
	cfg := engine.DefaultConfig()
	cfg.BatchSize = B
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		return nil, err
	}
	batch := make([]float32, B*V)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range batch {
		if r.Float32() < 0.13 {
			batch[i] = 1
		}
	}
	return func() {
		if err := tr.Step(batch); err != nil {
			panic(err) // the batch is valid by construction
		}
	}, nil
}

func randSlice(n int) []float32 {
	r := rand.New(rand.NewPCG(uint64(n), 3))
	x := make([]float32, n)
	for i := range x {
		x[i] = r.Float32() - 0.5
	}
	return x
}

// measure returns calls of f per second over at least d (after one warm-up
// call).
func measure(d time.Duration, f func()) float64 {
	f()
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		f()
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// median returns the median of n results of f.
func median(n int, f func() float64) float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = f()
	}
	slices.Sort(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

// measuredRow is a kernelRow with what the case says about the peak.
type measuredRow struct {
	kernelRow
	peak, flops bool
}

// kernelRows measures the backend's single-core cases: each the median of
// repeat runs of at least dur, in GFLOP/s for flop counts, ns/element for
// elements, GB/s for bytes.
func kernelRows(cases []engine.BenchCase, dur time.Duration, repeat int) []measuredRow {
	var rows []measuredRow
	for _, c := range cases {
		rate := median(repeat, func() float64 { return measure(dur, c.Run) }) * c.Work
		r := measuredRow{kernelRow: kernelRow{Name: c.Name}, peak: c.Peak, flops: c.Flops || c.Peak}
		switch c.Unit {
		case "flop":
			r.Value, r.Unit = rate/1e9, "GFLOP/s"
		case "element":
			r.Value, r.Unit = 1e9/rate, "ns/element"
		case "byte":
			r.Value, r.Unit = rate/1e9, "GB/s"
		default:
			r.Value, r.Unit = rate, c.Unit+"/s"
		}
		rows = append(rows, r)
	}
	return rows
}
