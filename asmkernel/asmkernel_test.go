package asmkernel_test

import (
	"testing"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/asmkernel"
	"github.com/boltzgo/boltz/engine/kerneltest"
	"github.com/boltzgo/boltz/kernel"
)

// TestConformance runs the whole kernel contract, optional capabilities
// included, on the backend at every asm level this CPU runs.
func TestConformance(t *testing.T) {
	for _, im := range asm.Supported() {
		t.Run("isa="+im.Name(), func(t *testing.T) { kerneltest.Run(t, asmkernel.New(im)) })
	}
}

// TestCapabilities checks that the backend offers what the engine's fast
// path looks for, with its level's tile as the grain.
func TestCapabilities(t *testing.T) {
	for _, im := range asm.Supported() {
		var k kernel.Kernel = asmkernel.New(im)
		mr, nr := im.Tile()
		if g := kernel.GrainOf(k); g != (kernel.Grain{Rows: mr, Cols: nr}) {
			t.Errorf("%s: grain %+v, want the tile %d×%d", im.Name(), g, mr, nr)
		}
		if _, ok := k.(kernel.FusedUpdater); !ok {
			t.Errorf("%s: no FusedUpdater", im.Name())
		}
		pk, ok := k.(kernel.Packer)
		if !ok {
			t.Fatalf("%s: no Packer", im.Name())
		}
		if pk.NewPacked(500, 784) == nil || pk.NewPacked(4096, 4096) != nil {
			t.Errorf("%s: packed copies for 500×784 and not for 4096×4096 expected", im.Name())
		}
		if _, ok := k.(kernel.TemperedProjector); !ok {
			t.Errorf("%s: no TemperedProjector", im.Name())
		}
		if _, ok := pk.NewPacked(50, 78).(kernel.PackedTempered); !ok {
			t.Errorf("%s: packed copies without PackedTempered", im.Name())
		}
		if d := k.(kernel.Describer); d.Level() != im.Name() {
			t.Errorf("Level() = %q, want %q", d.Level(), im.Name())
		}
	}
}

func TestDefault(t *testing.T) {
	k, err := asmkernel.Default()
	if err != nil {
		if asm.EnvError() == nil {
			t.Fatal(err)
		}
		return // $BOLTZ_ISA names no level this CPU runs: the error is the point
	}
	if k.Impl() != asm.Current() {
		t.Errorf("Default runs %s, asm.Current is %s", k.Level(), asm.Current().Name())
	}
}
