package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/boltzgo/boltz/engine"
	"github.com/klauspost/cpuid/v2"
)

func runInfo(args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	fs := newFlags("info", "[flags]", "Shows the CPU, its features, the kernel boltz chooses and why, and the worker count.", stderr)
	ef.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	eng, err := ef.engine()
	if err != nil {
		return err
	}
	defer eng.Close()
	c := cpuid.CPU
	var feats []string
	for _, f := range []cpuid.FeatureID{cpuid.SSE2, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.OSXSAVE} {
		if c.Supports(f) {
			feats = append(feats, f.String())
		}
	}
	reason := eng.KernelReason()
	if ef.kernel != "" {
		reason = "chosen with --kernel"
	}
	fmt.Fprintf(stdout, "cpu:      %s (%d physical cores, %d logical)\n", c.BrandName, c.PhysicalCores, c.LogicalCores)
	fmt.Fprintf(stdout, "features: %s\n", strings.Join(feats, " "))
	fmt.Fprintf(stdout, "caches:   L1d %d KiB, L2 %d KiB, L3 %d KiB\n", c.Cache.L1D>>10, c.Cache.L2>>10, c.Cache.L3>>10)
	fmt.Fprintf(stdout, "kernels:  %s\n", strings.Join(engine.Kernels(), ", "))
	fmt.Fprintf(stdout, "kernel:   %s, %s\n", eng.Kernel().Name(), reason)
	fmt.Fprintf(stdout, "workers:  %d (GOMAXPROCS %d)\n", eng.Workers(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "go:       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
