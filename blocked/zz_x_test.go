package blocked

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/boltzgo/boltz/asm"
)

type xvariant struct {
	name       string
	kc, nc, mc int
}

func TestXParams(t *testing.T) {
	if os.Getenv("GEMMX") == "" {
		t.Skip()
	}
	shapes := [][5]int{{100, 784, 500, 0, 1}, {100, 500, 784, 0, 0}, {500, 784, 200, 1, 0}, {256, 784, 500, 0, 1}, {1024, 1024, 1024, 0, 0}}
	variants := []xvariant{{"default", 0, 0, 0}, {"nc32", 0, 32, 0}, {"nc64", 0, 64, 0}, {"nc128", 0, 128, 0}, {"nc256", 0, 256, 0}}
	for _, s := range shapes {
		rnd := rand.New(rand.NewPCG(1, 2))
		p := newProblem(rnd, s[3] == 1, s[4] == 1, s[0], s[1], s[2], 1, 0, false)
		c := append([]float32(nil), p.c0...)
		flops := 2 * float64(s[0]*s[1]*s[2])
		ratios := make([][]float64, len(variants))
		iters := 40
		if s[0] == 1024 {
			iters = 8
		}
		for it := 0; it < iters; it++ {
			for vi, v := range variants {
				withBlocks(v.kc, v.nc, v.mc, func() {
					st := time.Now()
					Sgemm(nil, p.tA, p.tB, p.m, p.n, p.k, 1, p.a.v, p.a.ld, p.b.v, p.b.ld, 0, c, p.c.ld)
					d := time.Since(st)
					st = time.Now()
					asm.FMALoop(int(flops) / asm.FMAPeakFlopsPerIter)
					ratios[vi] = append(ratios[vi], time.Since(st).Seconds()/d.Seconds())
				})
			}
		}
		out := fmt.Sprintf("%v:", s)
		for vi, v := range variants {
			sort.Float64s(ratios[vi])
			out += fmt.Sprintf(" %s %.1f", v.name, 100*ratios[vi][len(ratios[vi])/2])
		}
		fmt.Println(out)
	}
}
