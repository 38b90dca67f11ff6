package main

import (
	"encoding/json"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	code, stdout, stderr := runCmd(t, "bench", "--quick", "--json", "--time", "5ms", "--repeat", "1")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr)
	}
	var rep struct {
		Kernel     string  `json:"kernel"`
		GOMAXPROCS int     `json:"gomaxprocs"`
		Peak       float64 `json:"fma_peak_gflops"`
		Cases      []struct {
			Name                   string
			Visible, Hidden, Batch int
			GFLOPS                 float64 `json:"gflops"`
			SecondsPerEpoch        float64 `json:"seconds_per_epoch"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if rep.Kernel == "" || rep.GOMAXPROCS < 1 || !(rep.Peak > 0) || len(rep.Cases) != 2 {
		t.Fatalf("report %+v", rep)
	}
	names := map[string]bool{}
	for _, c := range rep.Cases {
		names[c.Name] = true
		if !(c.GFLOPS > 0) || !(c.SecondsPerEpoch > 0) || c.Visible == 0 {
			t.Errorf("case %+v", c)
		}
	}
	if !names["cd1"] || !names["sgemm"] {
		t.Errorf("case names %v, want cd1 and sgemm", names)
	}
	if code, _, _ := runCmd(t, "bench", "--repeat", "0"); code != exitUsage {
		t.Errorf("--repeat 0: exit %d, want 2", code)
	}
}
