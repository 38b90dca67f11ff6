package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleFile()); err != nil {
		f.Fatal(err)
	}
	valid := buf.Bytes()
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8))
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[0],"data_offsets":[8,8]}}`, 8))
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12))
	f.Add(build(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, 8))
	f.Add(build(`{"__metadata__":{"k":1}}`, 0))
	f.Add(build(`{"__metadata__":null,"x":{"dtype":"BOOL","shape":[],"data_offsets":[0,1],"e":[{}]}}`, 1))
	f.Add(build(`[]`, 0))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<63))

	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Read(bytes.NewReader(data), int64(len(data)), Limits{})
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		var out bytes.Buffer
		if err := Write(&out, got); err != nil {
			t.Fatalf("re-writing a file that was read: %v", err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()), Limits{})
		if err != nil {
			t.Fatalf("re-reading a re-written file: %v", err)
		}
		if !filesEqual(got, again) {
			t.Fatalf("re-read file differs")
		}
	})
}
