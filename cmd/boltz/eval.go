package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

const evalAbout = `Evaluates a model on --data and prints:
  n                    rows evaluated
  recon_cross_entropy  mean over rows of the reconstruction cross-entropy, in
                       nats, summed over the visible units:
                       CE(v) = −Σ_j [v_j log σ(a_j) + (1−v_j) log(1−σ(a_j))]
                       with a = Wᵀh + b and h = p(h|v) the hidden probabilities
                       (mean-field, no sampling), computed from a with softplus
                       as Σ_j softplus(a_j) − v_j·a_j so it is finite for any a
  free_energy_mean     mean over rows of F(v) = −bᵀv − Σ_i softplus(c_i + W_i·v)`

func runEval(args []string, stdout, stderr io.Writer) error {
	var (
		df        dataFlags
		ef        engineFlags
		modelPath string
		dataSpec  string
		asJSON    bool
		seed      uint64
	)
	fs := newFlags("eval", "--model M [flags]", evalAbout, stderr)
	fs.StringVar(&modelPath, "model", "", "model file (required)")
	fs.StringVar(&dataSpec, "data", "mnist-test", "data: mnist-test, mnist, or an IDX, NPY or CSV file")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.Uint64Var(&seed, "seed", 1, "seed for --binarize stochastic")
	df.register(fs)
	ef.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if modelPath == "" {
		return usagef("--model is required")
	}
	opt, err := df.options(seed)
	if err != nil {
		return err
	}
	eng, err := ef.engine()
	if err != nil {
		return err
	}
	defer eng.Close()
	m, _, err := engine.LoadFile(modelPath)
	if err != nil {
		return err
	}
	m.SetEngine(eng)
	set, err := data.Load(dataSpec, opt)
	if err != nil {
		return err
	}
	if set.X.Cols != m.Visible {
		return fmt.Errorf("%s has %d columns but the model has %d visible units", set.Name, set.X.Cols, m.Visible)
	}
	res, err := evaluate(m, set.X.Data)
	if err != nil {
		return err
	}
	if asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "n                    %d\nrecon_cross_entropy  %.4f\nfree_energy_mean     %.4f\n", res.N, res.ReconCE, res.FreeEnergy)
	return nil
}

type evalResult struct {
	N          int     `json:"n"`
	ReconCE    float64 `json:"recon_cross_entropy"`
	FreeEnergy float64 `json:"free_energy_mean"`
}

func evaluate(m *engine.RBM, x []float32) (evalResult, error) {
	rows := len(x) / m.Visible
	buf := make([]float32, rows)
	res := evalResult{N: rows}
	if err := m.ReconstructionCrossEntropy(buf, x); err != nil {
		return res, err
	}
	res.ReconCE = mean(buf)
	if err := m.FreeEnergy(buf, x); err != nil {
		return res, err
	}
	res.FreeEnergy = mean(buf)
	return res, nil
}

func mean(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	if len(x) == 0 {
		return math.NaN()
	}
	return s / float64(len(x))
}

