package data

import (
	"bytes"
	"errors"
	"github.com/boltzgo/boltz/internal/floats"
	"os"
	"sync"
	"testing"
)

// scratch is a directory for the fuzz inputs of this process, on tmpfs
// where there is one: a fresh temporary directory per input would cost more
// than the reading. Inputs run one at a time in a process, so fixed names
// are fine. TestMain removes it.
var scratch struct {
	once sync.Once
	dir  string
	err  error
}

func scratchFile(t *testing.T, name string, b []byte) string {
	scratch.once.Do(func() {
		base := ""
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			base = "/dev/shm"
		}
		scratch.dir, scratch.err = os.MkdirTemp(base, "boltz-data-fuzz-*")
	})
	if scratch.err != nil {
		t.Fatal(scratch.err)
	}
	return writeIn(t, scratch.dir, name, b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if scratch.dir != "" {
		os.RemoveAll(scratch.dir)
	}
	os.Exit(code)
}

// fuzzRead writes b to a file and reads it with read, with and without a
// limit. Reading must not panic; a success must give a valid set and a
// failure must be a format error.
func fuzzRead(t *testing.T, b []byte, name string, read func(string, Options) (*Set, error)) {
	p := scratchFile(t, name, b)
	for _, opt := range []Options{{Binarize: None}, {Limit: 1}, {Binarize: Stochastic, LabelColumn: true}} {
		s, err := read(p, opt)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			continue
		}
		checkValid(t, s)
		if opt.Limit > 0 && s.X.Rows > opt.Limit {
			t.Fatalf("limit %d gave %d rows", opt.Limit, s.X.Rows)
		}
	}
	for _, opt := range []Options{{Binarize: None}, {Limit: 1}, {Binarize: Stochastic}} {
		fuzzMap(t, p, opt)
	}
}

// fuzzMap checks Map against Load on the file at p: where Load succeeds, Map
// must give the same rows bit for bit (or refuse with ErrNotMappable);
// where Load fails, Map must fail too, when opening or on some row.
func fuzzMap(t *testing.T, p string, opt Options) {
	want, lerr := Load(p, opt)
	m, err := Map(p, opt)
	switch {
	case errors.Is(err, ErrNotMappable):
		return
	case err != nil && !errors.Is(err, ErrFormat):
		t.Fatalf("Map: error does not wrap ErrFormat: %v", err)
	case err != nil && lerr == nil:
		t.Fatalf("Map failed (%v) where Load succeeded", err)
	case err != nil:
		return
	}
	defer m.Close()
	got, err := mappedRows(t, m)
	if err != nil && !errors.Is(err, ErrFormat) {
		t.Fatalf("ReadRow: error does not wrap ErrFormat: %v", err)
	}
	switch {
	case lerr == nil && err != nil:
		t.Fatalf("ReadRow failed (%v) where Load succeeded", err)
	case lerr == nil && (m.Rows() != want.X.Rows || m.Cols() != want.X.Cols || !floats.SameBits(got, want.X.Data)):
		t.Fatalf("mapped rows differ from Load's")
	case lerr != nil && err == nil:
		t.Fatalf("every mapped row read where Load failed: %v", lerr)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(smallIDX())
	f.Add(gz(smallIDX()))
	f.Add(idxBytes(idxU8, []uint32{2, 3}, []byte{0, 51, 102, 153, 204, 255}))
	f.Add(idxBytes(idxF32, []uint32{1, 2}, f32s(true, 0.5, 1)))
	f.Add(gz(idxBytes(idxF64, []uint32{1, 2}, f64s(true, 0.5, 1))))
	f.Add(idxBytes(idxU8, []uint32{4}, []byte{3, 1, 4, 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRead(t, b, "f.idx", ReadIDX)
		p := scratchFile(t, "l.idx", b)
		if l, err := ReadIDXLabels(p, 0); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("labels: error does not wrap ErrFormat: %v", err)
		} else if err == nil && len(l) == 0 {
			t.Fatal("no labels and no error")
		}
	})
}

func FuzzReadNPY(f *testing.F) {
	var w bytes.Buffer
	WriteNPY(&w, Matrix{Rows: 2, Cols: 3, Data: []float32{0, 0.5, 1, 0.25, 0.75, 0}})
	f.Add(w.Bytes())
	f.Add(smallNPY())
	f.Add(npyBytes(1, npyDict("|u1", false, "(2, 2)"), []byte{0, 1, 2, 255}))
	f.Add(npyBytes(2, npyDict("<f8", false, "(1, 2)"), f64s(false, 0.5, 1)))
	f.Add(npyBytes(1, npyDict("|b1", false, "(1, 3)"), []byte{0, 1, 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRead(t, b, "f.npy", ReadNPY)
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("0,1,0.5\n0.25,0.75,1\n"))
	f.Add([]byte("a,b,label\n0,255,3\n51,102,7\n"))
	f.Add([]byte("0, 1\r\n# c\n\n1,0\n"))
	f.Add([]byte("\"0\",\"1\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRead(t, b, "f.csv", ReadCSV)
		// Load must route the same bytes somewhere without panicking.
		p := scratchFile(t, "g.txt", b)
		if s, err := Load(p, Options{Binarize: None}); err == nil {
			checkValid(t, s)
		} else if !errors.Is(err, ErrFormat) {
			t.Fatalf("Load: error does not wrap ErrFormat: %v", err)
		}
	})
}
