package engine

import (
	"fmt"

	"github.com/boltzgo/boltz/kernel"
)

// The built-in kernels the tests name: Generic is the pure-Go backend (the
// reference), and asmLevels the assembly backend pinned to each asm level
// this CPU runs.
var Generic = mustKernel("generic")

func mustKernel(name string) Kernel {
	k, err := KernelByName(name)
	if err != nil {
		panic(fmt.Sprintf("kernel %s: %v", name, err))
	}
	return k
}

func asmLevels() []Kernel {
	var ks []Kernel
	for _, l := range Levels() {
		ks = append(ks, mustKernel("asm/"+l))
	}
	return ks
}

// plain hides a kernel's optional capabilities: the engine sees only the
// three methods of kernel.Kernel, as with a simple third-party backend.
type plain struct{ k kernel.Kernel }

func (p plain) Name() string { return p.k.Name() + "-plain" }
func (p plain) Up(out, x, w Mat, c []float32, act Act, s *Sample) {
	p.k.Up(out, x, w, c, act, s)
}
func (p plain) Down(out, h, w Mat, b []float32, act Act, s *Sample) {
	p.k.Down(out, h, w, b, act, s)
}
func (p plain) Update(w Mat, u *Update, i0, i1 int) { p.k.Update(w, u, i0, i1) }
