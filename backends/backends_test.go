package backends

import (
	"errors"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/kernel"
)

func TestByName(t *testing.T) {
	for _, name := range Names() {
		k, err := ByName(name)
		if err != nil {
			t.Fatalf("ByName(%q): %v", name, err)
		}
		if k.Name() != name {
			t.Errorf("ByName(%q).Name() = %q", name, k.Name())
		}
		if About(name) == "" {
			t.Errorf("no About for %q", name)
		}
	}
	for _, l := range Levels() {
		k, err := ByName("asm/" + l)
		if err != nil {
			t.Fatalf("ByName(asm/%s): %v", l, err)
		}
		if ID(k) != "asm/"+l {
			t.Errorf("ID = %q, want asm/%s", ID(k), l)
		}
		// The ID a checkpoint records names the same backend and level.
		if k2, err := ByName(ID(k)); err != nil || ID(k2) != ID(k) {
			t.Errorf("ByName(ID) = %v, %v", k2, err)
		}
	}
	if k, err := ByName("generic"); err != nil || ID(k) != "generic" {
		t.Errorf("ID(generic) = %v, %v", k, err)
	}
	for _, bad := range []string{"", "avx9", "asm/", "asm/avx9", "gonum/x"} {
		if _, err := ByName(bad); !errors.Is(err, ErrKernel) {
			t.Errorf("ByName(%q) = %v, want ErrKernel", bad, err)
		}
	}
	if _, err := ByName("asm/avx9"); !errors.Is(err, asm.ErrISA) {
		t.Errorf("ByName(asm/avx9) = %v, want asm.ErrISA too", err)
	}
}

// TestLegacyName: checkpoints of earlier versions record "avx2".
func TestLegacyName(t *testing.T) {
	k, err := ByName("avx2")
	if _, lerr := asm.Lookup("avx2"); lerr != nil {
		if err == nil {
			t.Fatal("avx2 accepted where the level cannot run")
		}
		return
	}
	if err != nil || ID(k) != "asm/avx2" {
		t.Fatalf("ByName(avx2) = %v, %v; want asm/avx2", k, err)
	}
}

func TestDefaultEnv(t *testing.T) {
	t.Setenv(Env, "generic")
	k, why, err := Default()
	if err != nil || k.Name() != "generic" || !strings.Contains(why, Env+"=generic") {
		t.Errorf("Default() with %s=generic = %v, %q, %v", Env, k, why, err)
	}
	t.Setenv(Env, "nonesuch")
	if _, _, err := Default(); !errors.Is(err, ErrKernel) || !strings.HasPrefix(err.Error(), Env+"=nonesuch: ") {
		t.Errorf("Default() with an unknown name: %v", err)
	}
	t.Setenv(Env, "")
	k, _, err = Default()
	if asm.EnvError() != nil {
		if err == nil {
			t.Error("a bad BOLTZ_ISA did not fail Default")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	want := "generic"
	if asm.Current().Accelerated() {
		want = "asm/" + asm.Current().Name()
	}
	if ID(k) != want {
		t.Errorf("Default() = %s, want %s", ID(k), want)
	}
	var _ kernel.Kernel = k
}
