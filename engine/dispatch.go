package engine

import (
	"fmt"
	"os"
	"strings"

	"github.com/boltzgo/boltz/asm"
)

// KernelEnv is the environment variable that forces a kernel at start:
// "generic" forces the pure-Go fallback, "avx2" demands the assembly kernels
// and makes every engine constructor fail where they are unsupported.
const KernelEnv = "BOLTZ_KERNEL"

// ErrKernel reports an unknown or unsupported kernel name.
var ErrKernel = fmt.Errorf("engine: kernel")

// registry lists the built-in kernels, best first, as constructors that say
// whether the kernel can run on this machine.
var registry = []struct {
	name      string
	available func() bool
	make      func() Kernel
}{
	{"avx2", asm.Accelerated, newAccelerated},
	{"generic", func() bool { return true }, func() Kernel { return Generic }},
}

// Kernels returns the names of the built-in kernels that can run here, best
// first.
func Kernels() []string {
	var names []string
	for _, k := range registry {
		if k.available() {
			names = append(names, k.name)
		}
	}
	return names
}

// KernelByName returns the built-in kernel called name, or an error wrapping
// ErrKernel when there is none or it cannot run on this CPU.
func KernelByName(name string) (Kernel, error) {
	for _, k := range registry {
		if k.name == name {
			if !k.available() {
				return nil, fmt.Errorf("%w %q is not supported on this CPU (%s)", ErrKernel, name, asm.Features())
			}
			return k.make(), nil
		}
	}
	var all []string
	for _, k := range registry {
		all = append(all, k.name)
	}
	return nil, fmt.Errorf("%w %q is unknown (known: %s)", ErrKernel, name, strings.Join(all, ", "))
}

// DefaultKernel returns the kernel an engine uses when none is chosen, and
// why: the one named by $BOLTZ_KERNEL when set, else the best one this CPU
// runs.
func DefaultKernel() (k Kernel, reason string, err error) {
	if name := os.Getenv(KernelEnv); name != "" {
		k, err := KernelByName(name)
		if err != nil {
			return nil, "", fmt.Errorf("%s=%s: %w", KernelEnv, name, err)
		}
		return k, fmt.Sprintf("forced by %s=%s", KernelEnv, name), nil
	}
	for _, r := range registry {
		if r.available() {
			return r.make(), fmt.Sprintf("the best this CPU runs: %s", asm.Features()), nil
		}
	}
	panic("unreachable: generic is always available")
}
