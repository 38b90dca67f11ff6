package data

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

func i32le(xs ...int32) []byte {
	var b bytes.Buffer
	for _, x := range xs {
		binary.Write(&b, binary.LittleEndian, x)
	}
	return b.Bytes()
}

func TestReadLabelsFormats(t *testing.T) {
	want := []int32{3, 0, 9, 1}
	cases := map[string][]byte{
		"l.idx":     idxBytes(idxU8, []uint32{4}, []byte{3, 0, 9, 1}),
		"l.idx.gz":  gz(idxBytes(idxU8, []uint32{4}, []byte{3, 0, 9, 1})),
		"vec.npy":   npyBytes(1, npyDict("<i4", false, "(4,)"), i32le(3, 0, 9, 1)),
		"col.npy":   npyBytes(1, npyDict("|u1", false, "(4, 1)"), []byte{3, 0, 9, 1}),
		"l.csv":     []byte("label\n3\n0\n9\n1\n"),
		"plain.csv": []byte("3\n0\n9.0\n1\n"),
	}
	for name, b := range cases {
		p := writeTemp(t, name, b)
		got, err := ReadLabels(p, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		got, err = ReadLabels(p, 2)
		if err != nil || !reflect.DeepEqual(got, want[:2]) {
			t.Errorf("%s limit 2: got %v, %v", name, got, err)
		}
	}
}

func TestReadLabelsBad(t *testing.T) {
	cases := []struct {
		name   string
		b      []byte
		substr string
	}{
		{"neg.npy", npyBytes(1, npyDict("<i4", false, "(2,)"), i32le(1, -1)), "outside"},
		{"big.npy", npyBytes(1, npyDict("<i4", false, "(2,)"), i32le(1, 5000)), "outside"},
		{"float.npy", npyBytes(1, npyDict("<f4", false, "(2,)"), f32s(false, 1, 2)), "not an integer dtype"},
		{"wide.npy", npyBytes(1, npyDict("|u1", false, "(2, 2)"), []byte{1, 2, 3, 4}), "one column"},
		{"wide.csv", []byte("1,2\n3,4\n"), "one column"},
		{"frac.csv", []byte("1\n2.5\n"), "not a state"},
		{"neg.csv", []byte("1\n-2\n"), "not a state"},
		{"img.idx", idxBytes(idxU8, []uint32{2, 2}, []byte{1, 2, 3, 4}), "not an IDX label file"},
	}
	for _, c := range cases {
		p := writeTemp(t, c.name, c.b)
		_, err := ReadLabels(p, 0)
		wantFormatErr(t, err, p, c.substr)
	}
}

func TestReadNPYStatesStill2D(t *testing.T) {
	// States files keep refusing 1-D arrays: the vector form is for labels only.
	p := writeTemp(t, "s.npy", npyBytes(1, npyDict("<i4", false, "(2,)"), i32le(1, 2)))
	if _, err := ReadStates(p, Options{}); err == nil {
		t.Fatal("1-D states file accepted")
	}
}
