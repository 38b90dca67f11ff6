package data

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// hostileData lists the hostile and valid inputs of the reader fuzz
// targets, keyed by target and name.
func hostileData() map[string]map[string][]byte {
	var w bytes.Buffer
	WriteNPY(&w, Matrix{Rows: 2, Cols: 3, Data: []float32{0, 0.5, 1, 0.25, 0.75, 0}})
	u8 := idxBytes(idxU8, []uint32{2, 3}, []byte{0, 51, 102, 153, 204, 255})
	bomb := gz(make([]byte, 1<<16)) // 64 KiB of zeros behind a short header
	return map[string]map[string][]byte{
		"FuzzReadIDX": {
			"valid 3-D":                 smallIDX(),
			"valid gzip":                gz(smallIDX()),
			"valid u8 2-D":              u8,
			"valid f32":                 idxBytes(idxF32, []uint32{1, 2}, f32s(true, 0.5, 1)),
			"valid f64 gzip":            gz(idxBytes(idxF64, []uint32{1, 2}, f64s(true, 0.5, 1))),
			"labels":                    idxBytes(idxU8, []uint32{4}, []byte{3, 1, 4, 1}),
			"truncated":                 u8[:len(u8)-1],
			"trailing byte":             append(bytes.Clone(u8), 9),
			"header claims 2^32 rows":   idxBytes(idxU8, []uint32{math.MaxUint32, math.MaxUint32}, nil),
			"header claims 2^31 values": idxBytes(idxU8, []uint32{1 << 16, 1 << 15}, nil),
			"gzip claims petabytes":     gz(idxBytes(idxU8, []uint32{math.MaxUint32, math.MaxUint32, 255}, nil)),
			"gzip bomb-ish":             append(gz(idxBytes(idxU8, []uint32{1 << 16, 1}, nil))[:10], bomb[10:]...),
			"zero dimensions":           {0, 0, idxU8, 0},
			"zero rows":                 idxBytes(idxU8, []uint32{0, 3}, nil),
			"4-D":                       idxBytes(idxU8, []uint32{1, 1, 1, 1}, []byte{1}),
			"int32 type":                idxBytes(idxI32, []uint32{1, 1}, []byte{0, 0, 0, 1}),
			"unknown type":              idxBytes(0x42, []uint32{1, 1}, []byte{1}),
			"NaN f32":                   idxBytes(idxF32, []uint32{1, 2}, f32s(true, 0.5, float32(math.NaN()))),
			"Inf f64":                   idxBytes(idxF64, []uint32{1, 1}, f64s(true, math.Inf(1))),
			"value 2":                   idxBytes(idxF32, []uint32{1, 1}, f32s(true, 2)),
			"negative zero":             idxBytes(idxF32, []uint32{1, 1}, f32s(true, float32(math.Copysign(0, -1)))),
			"corrupt gzip":              func() []byte { b := gz(u8); b[len(b)/2] ^= 0xff; return b }(),
			"gzip bad checksum":         func() []byte { b := gz(u8); b[len(b)-6] ^= 1; return b }(),
			"gzip truncated":            func() []byte { b := gz(u8); return b[:len(b)-4] }(),
			"empty":                     nil,
		},
		"FuzzReadNPY": {
			"valid f4":               w.Bytes(),
			"valid small":            smallNPY(),
			"valid u1":               npyBytes(1, npyDict("|u1", false, "(2, 2)"), []byte{0, 1, 2, 255}),
			"valid v2 f8":            npyBytes(2, npyDict("<f8", false, "(1, 2)"), f64s(false, 0.5, 1)),
			"valid b1":               npyBytes(1, npyDict("|b1", false, "(1, 3)"), []byte{0, 1, 1}),
			"big-endian f8":          npyBytes(1, npyDict(">f8", false, "(1, 2)"), f64s(true, 0.5, 1)),
			"shape claims petabytes": npyBytes(1, npyDict("|u1", false, "(1000000000000, 1000000)"), nil),
			"shape overflows":        npyBytes(1, npyDict("|u1", false, "(99999999999999999999, 2)"), nil),
			"shape 2^63":             npyBytes(1, npyDict("<f8", false, "(9223372036854775807, 9223372036854775807)"), nil),
			"negative shape":         npyBytes(1, npyDict("|u1", false, "(-1, 2)"), nil),
			"zero rows":              npyBytes(1, npyDict("|u1", false, "(0, 2)"), nil),
			"3-D":                    npyBytes(1, npyDict("<f4", false, "(1, 1, 1)"), f32s(false, 0)),
			"1-D":                    npyBytes(1, npyDict("<f4", false, "(2,)"), f32s(false, 0, 1)),
			"fortran order":          npyBytes(1, npyDict("<f4", true, "(1, 1)"), f32s(false, 0)),
			"structured dtype":       npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }", f32s(false, 0)),
			"int64 dtype":            npyBytes(1, npyDict("<i8", false, "(1, 1)"), make([]byte, 8)),
			"truncated":              smallNPY()[:len(smallNPY())-2],
			"trailing bytes":         append(smallNPY(), 1, 2),
			"header length 2^32-1":   append([]byte(npyMagic+"\x02\x00"), 0xff, 0xff, 0xff, 0xff),
			"header length past end": append([]byte(npyMagic+"\x01\x00"), 0xff, 0x7f, '{'),
			"version 9":              append([]byte(npyMagic+"\x09\x00"), 0, 0),
			"duplicate key":          npyBytes(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", f32s(false, 0)),
			"missing shape":          npyBytes(1, "{'descr': '<f4', 'fortran_order': False, }", f32s(false, 0)),
			"unterminated string":    npyBytes(1, "{'descr: '<f4', 'fortran_order': False, 'shape': (1, 1), }", f32s(false, 0)),
			"NaN f4":                 npyBytes(1, npyDict("<f4", false, "(1, 2)"), f32s(false, 0, float32(math.NaN()))),
			"value -1 f8":            npyBytes(1, npyDict("<f8", false, "(1, 1)"), f64s(false, -1)),
			"bool 2":                 npyBytes(1, npyDict("|b1", false, "(1, 1)"), []byte{2}),
			"empty":                  nil,
			"magic only":             []byte(npyMagic),
		},
		"FuzzReadCSV": {
			"floats":            []byte("0,1,0.5\n0.25,0.75,1\n"),
			"header and labels": []byte("a,b,label\n0,255,3\n51,102,7\n"),
			"comments":          []byte("0, 1\r\n# c\n\n1,0\n"),
			"quoted":            []byte("\"0\",\"1\"\n"),
			"ragged":            []byte("0,1\n1\n"),
			"NaN":               []byte("0,NaN\n"),
			"Inf":               []byte("0,+Inf\n"),
			"value 2.5":         []byte("0,2.5\n"),
			"value 256":         []byte("0,256\n"),
			"negative":          []byte("0,-1\n"),
			"huge number":       []byte("0,1e400\n"),
			"hex float":         []byte("0x1p-2,0\n"),
			"bare quote":        []byte("0,\"1\n"),
			"label not integer": []byte("0,1,x\n"),
			"only header":       []byte("a,b\n"),
			"binary junk":       {0, 1, 2, 0xff, '\n'},
			"empty":             nil,
			"long line":         []byte(strings.Repeat("0,", 10000) + "1\n"),
		},
	}
}

// TestWriteDataFuzzCorpus writes the seed corpora of the reader fuzz targets
// into testdata/fuzz when BOLTZ_WRITE_CORPUS=1; the committed files run as
// seeds in every "go test" (each must pass the target's checks).
func TestWriteDataFuzzCorpus(t *testing.T) {
	if os.Getenv("BOLTZ_WRITE_CORPUS") != "1" {
		t.Skip("set BOLTZ_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	for target, files := range hostileData() {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			file := strings.Map(func(r rune) rune {
				switch {
				case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-':
					return r
				case r >= 'A' && r <= 'Z':
					return r + 'a' - 'A'
				}
				return '-'
			}, n)
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", files[n])
			if err := os.WriteFile(filepath.Join(dir, "seed-"+file), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
