package main

import (
	"math"
	"strings"
	"testing"
)

// eval --logz ais adds reverse AIS from the data rows: the keys are there,
// the bounds are ordered, and on a small random model the two directions land
// near the exact log Z. The text output shows the reverse estimate too.
func TestEvalReverseAIS(t *testing.T) {
	modelPath, csvPath, m := smallModel(t, 14, 8, 60, 0.6)
	exact, err := m.LogZExact(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, sched := range []string{"segmented", "linear", "adaptive"} {
		res, _ := evalOut(t, "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-runs", "100", "--ais-betas", "1000",
			"--ais-schedule", sched, "--seed", "4")
		f, r := num(t, res, "log_z"), num(t, res, "log_z_reverse")
		lo, up := num(t, res, "log_z_reverse_lower"), num(t, res, "log_z_reverse_upper")
		if !(lo < r && r < up) {
			t.Errorf("%s: reverse bounds [%v, %v] around %v", sched, lo, up, r)
		}
		if math.Abs(f-exact) > 0.1 || math.Abs(r-exact) > 0.1 {
			t.Errorf("%s: AIS %v, reverse AIS %v, exact %v", sched, f, r, exact)
		}
		if ll := num(t, res, "log_likelihood_reverse_mean"); math.Abs(ll-(-num(t, res, "free_energy_mean")-r)) > 1e-9 {
			t.Errorf("%s: log_likelihood_reverse_mean %v is not −free_energy_mean − log_z_reverse", sched, ll)
		}
		num(t, res, "log_z_reverse_seconds")
	}
	// The PyDeep base rates and no Gibbs sweep before the reverse run.
	res, _ := evalOut(t, "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-betas", "500",
		"--ais-base-rates", "mean", "--ais-reverse-gibbs", "0")
	num(t, res, "log_z_reverse")
	// --ais-reverse=false and --logz exact have no reverse keys.
	for _, args := range [][]string{{"--logz", "ais", "--ais-betas", "100", "--ais-reverse=false"}, {"--logz", "exact"}} {
		res, _ := evalOut(t, append([]string{"--model", modelPath, "--data", csvPath}, args...)...)
		for _, k := range []string{"log_z_reverse", "log_z_reverse_lower", "log_z_reverse_upper"} {
			if _, ok := res[k]; ok {
				t.Errorf("%v: %s present", args, k)
			}
		}
	}
	code, stdout, stderr := runCmd(t, "eval", "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-betas", "200")
	if code != 0 || !strings.Contains(stdout, "log_z_reverse") || !strings.Contains(stdout, "log_likelihood_reverse") {
		t.Errorf("text output: %d %q %q", code, stdout, stderr)
	}
}

// Where 3σ̂ exceeds the mean reverse weight the upper bound is null, with a
// warning.
func TestEvalReverseAISNoUpperBound(t *testing.T) {
	modelPath, csvPath, _ := smallModel(t, 30, 30, 10, 3)
	res, stderr := evalOut(t, "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-runs", "3", "--ais-betas", "3")
	if v, ok := res["log_z_reverse_upper"]; !ok || v != nil {
		t.Errorf("log_z_reverse_upper = %v (present %v), want null", v, ok)
	}
	if !strings.Contains(stderr, "reverse AIS weights") {
		t.Errorf("no warning: %q", stderr)
	}
	num(t, res, "log_z_reverse_lower")
}

func TestEvalReverseAISUsage(t *testing.T) {
	modelPath, csvPath, _ := smallModel(t, 10, 6, 10, 0.3)
	for _, args := range [][]string{
		{"--ais-schedule", "geometric"},
		{"--ais-base-rates", "median"},
		{"--ais-reverse-gibbs", "-1"},
		{"--ais-betas", "1"},
	} {
		full := append([]string{"eval", "--model", modelPath, "--data", csvPath, "--logz", "ais"}, args...)
		if code, _, stderr := runCmd(t, full...); code != exitUsage || !strings.Contains(stderr, "boltz eval: ") {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
}
