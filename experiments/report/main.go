package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/viz"
)

type epoch struct {
	Epoch   int      `json:"epoch"`
	TrainCE float64  `json:"train_recon_cross_entropy"`
	ValCE   *float64 `json:"val_recon_cross_entropy"`
	TrainFE float64  `json:"train_free_energy"`
	ValFE   *float64 `json:"val_free_energy"`
	Seconds float64  `json:"seconds"`
}

type evalOut struct {
	N       int      `json:"n"`
	CE      float64  `json:"recon_cross_entropy"`
	FE      float64  `json:"free_energy_mean"`
	PLL     float64  `json:"pseudo_log_likelihood"`
	LogZ    *float64 `json:"log_z"`
	Method  string   `json:"log_z_method"`
	Lower   *float64 `json:"log_z_lower"`
	Upper   *float64 `json:"log_z_upper"`
	LL      *float64 `json:"log_likelihood_mean"`
	Seconds float64  `json:"log_z_seconds"`
	Runs    int      `json:"ais_runs"`
	Temps   int      `json:"ais_temperatures"`
}

type run struct {
	name      string
	hidden, k int
	epochs    []epoch
	eval      *evalOut
	logz      *evalOut
	exact     *evalOut
	times     map[string]float64
}

func main() {
	dir := flag.String("dir", "docs/experiments", "the OUT directory of experiments/run.sh")
	flag.Parse()
	if err := report(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func report(dir string) error {
	times, err := readTimes(filepath.Join(dir, "times.tsv"))
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(dir, "runs"))
	if err != nil {
		return err
	}
	var runs []*run
	for _, e := range entries {
		r := &run{name: e.Name(), times: times[e.Name()]}
		if _, err := fmt.Sscanf(r.name, "h%d-k%d", &r.hidden, &r.k); err != nil {
			continue
		}
		rd := filepath.Join(dir, "runs", r.name)
		if r.epochs, err = readMetrics(filepath.Join(rd, "metrics.jsonl")); err != nil {
			return err
		}
		r.eval, _ = readEval(filepath.Join(rd, "eval.json"))
		r.logz, _ = readEval(filepath.Join(rd, "logz.json"))
		r.exact, _ = readEval(filepath.Join(rd, "exact.json"))
		if len(r.epochs) > 0 {
			if err := viz.PlotCurves(filepath.Join(rd, "curves.png"), fmt.Sprintf("784×%d CD-%d", r.hidden, r.k), curve(r.epochs)); err != nil {
				return err
			}
		}
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].hidden != runs[j].hidden {
			return runs[i].hidden < runs[j].hidden
		}
		return runs[i].k < runs[j].k
	})
	var cdk, hid []*run
	for _, r := range runs {
		if r.hidden == 100 {
			cdk = append(cdk, r)
		}
		if r.k == 1 && r.hidden >= 50 {
			hid = append(hid, r)
		}
	}
	if err := compare(filepath.Join(dir, "cdk.png"), "100 hidden units, CD-k: reconstruction CE", cdk, func(r *run) string { return fmt.Sprintf("CD-%d", r.k) }); err != nil {
		return err
	}
	if err := compare(filepath.Join(dir, "hidden.png"), "CD-1 by hidden units: reconstruction CE", hid, func(r *run) string { return fmt.Sprintf("%d hidden", r.hidden) }); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.md"), []byte(table(runs)), 0o644)
}

func curve(es []epoch) []viz.CurvePoint {
	pts := make([]viz.CurvePoint, len(es))
	for i, e := range es {
		pts[i] = viz.CurvePoint{Epoch: e.Epoch, TrainCE: e.TrainCE, TrainFE: e.TrainFE, ValCE: orNaN(e.ValCE), ValFE: orNaN(e.ValFE)}
	}
	return pts
}

// compare plots the train (solid) and validation (dashed) cross-entropy of
// several runs.
func compare(path, title string, runs []*run, label func(*run) string) error {
	if len(runs) == 0 {
		return nil
	}
	var s []viz.Series
	for i, r := range runs {
		tr := viz.Series{Name: label(r), Color: i + 1}
		va := viz.Series{Dashed: true, Color: i + 1}
		for _, e := range r.epochs {
			tr.X, tr.Y = append(tr.X, float64(e.Epoch)), append(tr.Y, e.TrainCE)
			va.X, va.Y = append(va.X, float64(e.Epoch)), append(va.Y, orNaN(e.ValCE))
		}
		s = append(s, tr, va)
	}
	return viz.PlotSeries(path, title+" (solid: train, dashed: validation)", "epoch", "nats per image", s)
}

func table(runs []*run) string {
	var b strings.Builder
	b.WriteString("| model | epochs | train time | train CE | validation CE | test CE | test F(v) | test PLL | log Z | test log-likelihood | log Z time | 100×1000 Gibbs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		last := epoch{}
		if len(r.epochs) > 0 {
			last = r.epochs[len(r.epochs)-1]
		}
		row := []string{fmt.Sprintf("784×%d CD-%d", r.hidden, r.k), strconv.Itoa(last.Epoch), secs(r.times["train"]),
			f2(last.TrainCE), f2(orNaN(last.ValCE))}
		if e := r.eval; e != nil {
			row = append(row, f2(e.CE), f2(e.FE), f2(e.PLL))
		} else if e := r.exact; e != nil {
			row = append(row, f2(e.CE), f2(e.FE), f2(e.PLL))
		} else {
			row = append(row, "", "", "")
		}
		var lz, ll, lzt []string
		for _, z := range []*evalOut{r.exact, r.logz} {
			if z == nil || z.LogZ == nil {
				continue
			}
			switch z.Method {
			case "exact":
				lz = append(lz, fmt.Sprintf("%.2f (exact)", *z.LogZ))
				ll = append(ll, fmt.Sprintf("%.2f (exact)", *z.LL))
				lzt = append(lzt, secs(r.times["exact"])+" (exact)")
			default:
				lower := "none"
				if z.Lower != nil {
					lower = fmt.Sprintf("%.2f", *z.Lower)
				}
				lz = append(lz, fmt.Sprintf("%.2f (AIS, ±3σ̂: %s, %.2f)", *z.LogZ, lower, *z.Upper))
				llLo := "none"
				if z.Lower != nil {
					llLo = fmt.Sprintf("%.2f", -z.FE-*z.Lower)
				}
				ll = append(ll, fmt.Sprintf("%.2f (AIS, ±3σ̂: %.2f, %s)", *z.LL, -z.FE-*z.Upper, llLo))
				lzt = append(lzt, secs(r.times["ais"])+" (AIS)")
			}
		}
		row = append(row, strings.Join(lz, "<br>"), strings.Join(ll, "<br>"), strings.Join(lzt, "<br>"), secs(r.times["sample"]))
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\nThe ±3σ̂ bounds are log(Ẑ ± 3σ̂) and the log-likelihoods they give; \"none\": 3σ̂ ≥ Ẑ, so the lower bound on log Z (upper bound on the log-likelihood) does not exist. ")
	b.WriteString("CE: reconstruction cross-entropy in nats per image (train: the first 10,000 training rows; validation: the 10,000 held-out rows; after the last epoch). F(v): mean free energy. PLL: scikit-learn's stochastic pseudo-log-likelihood (scales with V = 784). Log-likelihoods in nats per test image. Times are wall-clock seconds of the whole command (the log Z time includes loading the data and the other metrics).\n")
	return b.String()
}

func secs(s float64) string {
	if s == 0 {
		return ""
	}
	if s >= 120 {
		return fmt.Sprintf("%.0f s (%.1f min)", s, s/60)
	}
	return fmt.Sprintf("%.1f s", s)
}

func f2(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return fmt.Sprintf("%.2f", x)
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func readTimes(path string) (map[string]map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) < 3 || fs[0] == "run" {
			continue
		}
		s, err := strconv.ParseFloat(fs[2], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %v", path, sc.Text(), err)
		}
		if out[fs[0]] == nil {
			out[fs[0]] = map[string]float64{}
		}
		out[fs[0]][fs[1]] = s
	}
	return out, sc.Err()
}

func readMetrics(path string) ([]epoch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var es []epoch
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e epoch
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		es = append(es, e)
	}
	return es, sc.Err()
}

func readEval(path string) (*evalOut, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e evalOut
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &e, nil
}
