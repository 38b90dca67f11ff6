package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/boltzgo/boltz/internal/floats"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// mappedRows reads every row of m.
func mappedRows(t testing.TB, m *Mapped) ([]float32, error) {
	t.Helper()
	out := make([]float32, m.Rows()*m.Cols())
	for i := 0; i < m.Rows(); i++ {
		if err := m.ReadRow(i, out[i*m.Cols():(i+1)*m.Cols()]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestMapMatchesLoad: for every mappable kind of file and every
// binarisation, the mapped rows (and their Split) equal Load's bit for bit.
func TestMapMatchesLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	u8 := make([]byte, 7*12)
	for i := range u8 {
		u8[i] = byte(r.IntN(256))
	}
	fl := make([]float32, 7*12)
	f8 := make([]float64, 7*12)
	for i := range fl {
		fl[i] = r.Float32()
		f8[i] = r.Float64()
	}
	bools := make([]byte, 7*12)
	for i := range bools {
		bools[i] = byte(r.IntN(2))
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"u8.npy":     npyBytes(1, npyDict("|u1", false, "(7, 12)"), u8),
		"b1.npy":     npyBytes(2, npyDict("|b1", false, "(7, 12)"), bools),
		"f4.npy":     npyBytes(1, npyDict("<f4", false, "(7, 12)"), f32s(false, fl...)),
		"f8be.npy":   npyBytes(1, npyDict(">f8", false, "(7, 12)"), f64s(true, f8...)),
		"u8-3d.idx":  idxBytes(idxU8, []uint32{7, 3, 4}, u8),
		"f32-2d.idx": idxBytes(idxF32, []uint32{7, 12}, f32s(true, fl...)),
		"f64-2d.idx": idxBytes(idxF64, []uint32{7, 12}, f64s(true, f8...)),
	}
	opts := []Options{{}, {Binarize: None}, {Binarize: Stochastic, Seed: 9}, {Limit: 3, Binarize: None}, {Limit: 100}}
	for name, raw := range files {
		p := writeIn(t, dir, name, raw)
		for _, opt := range opts {
			want, err := Load(p, opt)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			m, err := Map(p, opt)
			if err != nil {
				t.Fatalf("%s: Map: %v", name, err)
			}
			got, err := mappedRows(t, m)
			if err != nil {
				t.Fatal(err)
			}
			if m.Rows() != want.X.Rows || m.Cols() != want.X.Cols || !floats.SameBits(got, want.X.Data) {
				t.Errorf("%s %+v: mapped rows differ from Load", name, opt)
			}
			wt, wv := want.Split(0.3)
			mt, mv := m.Split(0.3)
			gt, _ := mappedRows(t, mt)
			gv, _ := mappedRows(t, mv)
			if !floats.SameBits(gt, wt.X.Data) || !floats.SameBits(gv, wv.X.Data) || mt.Name() != wt.Name || mv.Name() != wv.Name {
				t.Errorf("%s %+v: mapped Split differs from Set.Split", name, opt)
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if err := mt.ReadRow(0, make([]float32, m.Cols())); err == nil {
				t.Errorf("%s: read after Close", name)
			}
			m.Close() // twice is fine
		}
	}
}

func TestMapRejects(t *testing.T) {
	dir := t.TempDir()
	good := npyBytes(1, npyDict("<f4", false, "(4, 2)"), f32s(false, 0, 1, 0.5, 0.5, 1, 1, 0, 0))
	for name, c := range map[string]struct {
		raw  []byte
		want error
	}{
		"gz.idx":      {gz(smallIDX()), ErrNotMappable},
		"a.csv":       {[]byte("0,1\n1,0\n"), ErrNotMappable},
		"trunc.npy":   {good[:len(good)-1], ErrFormat},
		"long.npy":    {append(bytes.Clone(good), 0), ErrFormat},
		"3d.npy":      {npyBytes(1, npyDict("<f4", false, "(1, 1, 1)"), f32s(false, 0)), ErrFormat},
		"huge.npy":    {npyBytes(1, npyDict("|u1", false, "(1000000000000, 1000000)"), nil), ErrFormat},
		"label.idx":   {idxBytes(idxU8, []uint32{4}, []byte{1, 2, 3, 4}), ErrFormat},
		"trunc.idx":   {idxBytes(idxU8, []uint32{2, 2}, []byte{1, 2, 3}), ErrFormat},
		"empty.npy":   {nil, ErrFormat},
		"fortran.npy": {npyBytes(1, npyDict("<f4", true, "(1, 1)"), f32s(false, 0)), ErrFormat},
	} {
		p := writeIn(t, dir, name, c.raw)
		if _, err := Map(p, Options{}); !errors.Is(err, c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Map error %v, want %v naming the file", name, err, c.want)
		}
	}
	if _, err := Map(dir, Options{}); err == nil {
		t.Error("mapped a directory")
	}
	// Bad values are found row by row.
	bad := npyBytes(1, npyDict("<f4", false, "(4, 2)"), f32s(false, 0, 1, 0.5, 0.5, 1, float32(math.NaN()), 2, 0))
	p := writeIn(t, dir, "bad.npy", bad)
	m, err := Map(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	row := make([]float32, 2)
	if err := m.ReadRow(1, row); err != nil {
		t.Errorf("good row 1: %v", err)
	}
	for i, w := range map[int]string{2: "row 2, column 1: value is NaN", 3: "row 3, column 0: value 2 outside [0,1]"} {
		if err := m.ReadRow(i, row); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), w) {
			t.Errorf("row %d: %v, want %q", i, err, w)
		}
	}
	if err := m.ReadRow(4, row); err == nil {
		t.Error("row 4 of 4 read")
	}
	if err := m.ReadRow(0, make([]float32, 3)); err == nil {
		t.Error("short buffer accepted")
	}
}

// vmRSS returns the process's resident set in bytes, from /proc.
func vmRSS(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// sparseNPY creates a rows×cols |u1 .npy file whose values are a hole
// (zeros) but for a few rows, without writing the whole size.
func sparseNPY(t testing.TB, path string, rows, cols int) {
	t.Helper()
	hdr := npyBytes(1, npyDict("|u1", false, fmt.Sprintf("(%d, %d)", rows, cols)), nil)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(len(hdr)) + int64(rows)*int64(cols)); err != nil {
		t.Fatal(err)
	}
	row := bytes.Repeat([]byte{200}, cols)
	for _, r := range []int{0, rows / 2, rows - 1} {
		if _, err := f.WriteAt(row, int64(len(hdr))+int64(r)*int64(cols)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMapResidentBounded reads every row of a 200 MB file in shuffled
// order, as training does, and checks that the resident set grows by far
// less than the file: the pages are dropped as reading goes on. As a
// control, the same pass without dropping must grow it by about the file.
func TestMapResidentBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory grows with every byte read")
	}
	if runtime.GOOS != "linux" {
		t.Skip("measures VmRSS from /proc")
	}
	const rows, cols = 50_000, 4000 // 200 MB
	p := filepath.Join(t.TempDir(), "big.npy")
	sparseNPY(t, p, rows, cols)
	pass := func(budget int64) (growth int64, drops int64) {
		old := residentBudget
		residentBudget = budget
		defer func() { residentBudget = old }()
		m, err := Map(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		perm := rand.New(rand.NewPCG(1, 1)).Perm(rows)
		row := make([]float32, cols)
		runtime.GC()
		before := vmRSS(t)
		var peak int64
		ones := 0
		for k, i := range perm {
			if err := m.ReadRow(i, row); err != nil {
				t.Fatal(err)
			}
			if row[0] == 1 {
				ones++
			}
			if k%4096 == 0 {
				peak = max(peak, vmRSS(t))
			}
		}
		peak = max(peak, vmRSS(t))
		if ones != 3 {
			t.Fatalf("%d rows of ones, want 3", ones)
		}
		return peak - before, m.mp.drops.Load()
	}
	growth, drops := pass(16 << 20)
	t.Logf("200 MB file, shuffled pass: resident set grew by at most %d MB (%d drops)", growth>>20, drops)
	if growth > 60<<20 || drops == 0 {
		t.Errorf("resident set grew by %d MB reading a 200 MB mapped file (%d drops); want under 60 MB", growth>>20, drops)
	}
	if testing.Short() {
		return
	}
	growth, _ = pass(1 << 62)
	t.Logf("control without dropping: grew by %d MB", growth>>20)
	if growth < 150<<20 {
		t.Logf("the control did not grow as expected (%d MB): the page cache may be under pressure", growth>>20)
	}
}
