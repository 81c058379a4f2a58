package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

// build makes a safetensors file from a header text and a data section.
func build(header string, data []byte) []byte {
	var b bytes.Buffer
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(header)))
	b.Write(l[:])
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func open(t *testing.T, file []byte) (*File, error) {
	t.Helper()
	return NewFile(bytes.NewReader(file), int64(len(file)), "x.safetensors")
}

func TestReadValues(t *testing.T) {
	// bf16 1.5, -2 ; f16 0.5, 65504, smallest subnormal ; f32 pi
	data := []byte{0xc0, 0x3f, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0x01, 0x00}
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(math.Pi))
	hdr := `{"__metadata__":{"format":"pt"},` +
		`"c":{"dtype":"F32","shape":[],"data_offsets":[10,14]},` +
		`"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},` +
		`"b":{"dtype":"F16","shape":[1,3],"data_offsets":[4,10]}}   `
	f, err := open(t, build(hdr, data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" || len(f.Tensors) != 3 || f.Tensors[0].Name != "a" || f.Tensors[2].Name != "c" {
		t.Fatalf("header parsed as %+v", f.Header)
	}
	want := map[string][]float32{
		"a": {1.5, -2},
		"b": {0.5, 65504, float32(math.Ldexp(1, -24))},
		"c": {math.Pi},
	}
	for name, w := range want {
		ti, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("no tensor %s", name)
		}
		got := make([]float32, len(w))
		if _, err := f.ReadFloat32(ti, got, nil); err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], w[i])
			}
		}
	}
}

func TestF16AllValues(t *testing.T) {
	// Every finite half must widen to the value its bits denote.
	for h := 0; h < 1<<16; h++ {
		e, m := (h>>10)&31, h&1023
		if e == 31 {
			continue
		}
		var v float64
		if e == 0 {
			v = math.Ldexp(float64(m), -24)
		} else {
			v = math.Ldexp(float64(1024+m), e-25)
		}
		if h&0x8000 != 0 {
			v = -v
		}
		if got := f16ToF32(uint16(h)); float64(got) != v || math.Signbit(float64(got)) != (h&0x8000 != 0) {
			t.Fatalf("f16 %#04x -> %v, want %v", h, got, v)
		}
	}
	if !math.IsInf(float64(f16ToF32(0x7c00)), 1) || !math.IsNaN(float64(f16ToF32(0x7e00))) {
		t.Fatal("inf/nan not preserved")
	}
}

func TestHostileHeaders(t *testing.T) {
	ok := `{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}`
	data := make([]byte, 8)
	if _, err := open(t, build(ok, data)); err != nil {
		t.Fatalf("valid file refused: %v", err)
	}
	cases := []struct {
		name, header string
		data         []byte
		want         string
	}{
		{"unknown dtype", `{"a":{"dtype":"Q4","shape":[2,2],"data_offsets":[0,8]}}`, data, `unknown dtype "Q4"`},
		{"missing dtype", `{"a":{"shape":[2,2],"data_offsets":[0,8]}}`, data, "dtype is missing"},
		{"missing shape", `{"a":{"dtype":"BF16","data_offsets":[0,8]}}`, data, "shape is missing"},
		{"shape lies", `{"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}`, data, "needs 12 bytes"},
		{"offsets past end", `{"a":{"dtype":"BF16","shape":[2,4],"data_offsets":[0,16]}}`, data, "outside the 8-byte data section"},
		{"reversed offsets", `{"a":{"dtype":"BF16","shape":[0],"data_offsets":[8,0]}}`, data, "outside"},
		{"negative dim", `{"a":{"dtype":"BF16","shape":[-2,-2],"data_offsets":[0,8]}}`, data, "shape[0]"},
		{"float dim", `{"a":{"dtype":"BF16","shape":[2.5],"data_offsets":[0,8]}}`, data, "shape[0]"},
		{"huge dims", `{"a":{"dtype":"BF16","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}`, data, "more than 2^64"},
		{"huge offset", `{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,99999999999999999999]}}`, data, "data_offsets"},
		{"three offsets", `{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8,8]}}`, data, "2 integers"},
		{"overlap", `{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}`, data, "overlap"},
		{"hole", `{"a":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}`, data, "hole"},
		{"short cover", `{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, data, "cover 4 bytes of a 8-byte"},
		{"duplicate", `{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"a":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}`, data, "appears twice"},
		{"not object", `[1,2]`, data, "expected"},
		{"tensor not object", `{"a":7}`, data, `tensor "a"`},
		{"bad metadata", `{"__metadata__":{"x":1}}`, nil, "__metadata__"},
		{"trailing", `{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}} x`, data, "trailing"},
		{"too many dims", `{"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,8],"data_offsets":[0,8]}}`, data, "dimensions"},
		{"truncated json", `{"a":{"dtype":"BF16","shape":[4],"data_off`, data, "header"},
	}
	for _, c := range cases {
		_, err := open(t, build(c.header, c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.safetensors") {
			t.Errorf("%s: error %v, want one naming the file and containing %q", c.name, err, c.want)
		}
	}
}

func TestHostileLengths(t *testing.T) {
	var big [8]byte
	binary.LittleEndian.PutUint64(big[:], 1<<62)
	var past [8]byte
	binary.LittleEndian.PutUint64(past[:], 100)
	cases := map[string][]byte{
		"empty":           nil,
		"short":           {1, 2, 3},
		"absurd length":   append(big[:], "{}"...),
		"length past EOF": append(past[:], "{}"...),
	}
	for name, file := range cases {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		before := m.TotalAlloc
		_, err := open(t, file)
		runtime.ReadMemStats(&m)
		if err == nil || !strings.Contains(err.Error(), "x.safetensors") {
			t.Errorf("%s: error %v", name, err)
		}
		if m.TotalAlloc-before > 1<<20 {
			t.Errorf("%s: allocated %d bytes", name, m.TotalAlloc-before)
		}
	}
	// Every truncation of a valid file is refused.
	file := build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, make([]byte, 12))
	for n := 0; n < len(file); n++ {
		if _, err := open(t, file[:n]); err == nil {
			t.Fatalf("file truncated to %d bytes accepted", n)
		}
	}
}

// TestReadRawShortFile checks that a file shrinking after its header was
// read (a truncated shard behind a ReaderAt) gives an error, not garbage.
func TestReadRawShortFile(t *testing.T) {
	file := build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, make([]byte, 12))
	f, err := NewFile(bytes.NewReader(file[:len(file)-4]), int64(len(file)), "y.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.ReadFloat32(&f.Tensors[0], make([]float32, 3), nil)
	if err == nil || !strings.Contains(err.Error(), "y.safetensors") || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("got %v", err)
	}
}

func TestModelShards(t *testing.T) {
	a := build(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))
	b := build(`{"y":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4))
	index := `{"metadata":{},"weight_map":{"x":"a.safetensors","y":"b.safetensors"}}`
	fsys := fstest.MapFS{
		"m/a.safetensors": {Data: a},
		"m/b.safetensors": {Data: b},
		"m/" + IndexName:  {Data: []byte(index)},
	}
	m, err := OpenModel(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Names(), ","); got != "x,y" {
		t.Fatalf("names %s", got)
	}
	if f, ti, ok := m.Tensor("y"); !ok || f.Name != "m/b.safetensors" || ti.DType != BF16 {
		t.Fatalf("y in %v %v", f, ti)
	}
	m.Close()

	bad := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"missing shard", fstest.MapFS{"m/a.safetensors": {Data: a}, "m/" + IndexName: {Data: []byte(index)}}, "shard b.safetensors listed in m/model.safetensors.index.json is missing"},
		{"wrong shard", fstest.MapFS{"m/a.safetensors": {Data: a}, "m/b.safetensors": {Data: a}, "m/" + IndexName: {Data: []byte(index)}}, `tensor "x" is in m/b.safetensors but`},
		{"unlisted tensor", fstest.MapFS{"m/a.safetensors": {Data: a}, "m/b.safetensors": {Data: b}, "m/" + IndexName: {Data: []byte(`{"weight_map":{"x":"a.safetensors","z":"b.safetensors"}}`)}}, `"y" is in m/b.safetensors`},
		{"escaping path", fstest.MapFS{"m/" + IndexName: {Data: []byte(`{"weight_map":{"x":"../a.safetensors"}}`)}}, "not a file name"},
		{"empty index", fstest.MapFS{"m/" + IndexName: {Data: []byte(`{}`)}}, "weight_map is missing"},
		{"bad index", fstest.MapFS{"m/" + IndexName: {Data: []byte(`{`)}}, "safetensors index m/model.safetensors.index.json"},
		{"no files", fstest.MapFS{"m/config.json": {Data: []byte(`{}`)}}, "model.safetensors"},
	}
	for _, c := range bad {
		_, err := OpenModel(c.fsys, "m")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := OpenModel(fstest.MapFS{}, "m"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty dir: %v", err)
	}
}

// fixtureHeaders returns the headers of the checkpoints in testdata, the
// fuzz seeds and a check that real files parse.
func fixtureHeaders(tb testing.TB) (headers [][]byte, sizes []int64) {
	files, _ := filepath.Glob("../../testdata/models/*/*.safetensors")
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			tb.Fatal(err)
		}
		st, _ := f.Stat()
		var l [8]byte
		f.ReadAt(l[:], 0)
		h := make([]byte, binary.LittleEndian.Uint64(l[:]))
		f.ReadAt(h, 8)
		f.Close()
		headers = append(headers, h)
		sizes = append(sizes, st.Size()-8-int64(len(h)))
	}
	return
}

func TestFixtureHeaders(t *testing.T) {
	hs, sizes := fixtureHeaders(t)
	if len(hs) < 4 {
		t.Fatalf("found %d fixture files", len(hs))
	}
	for i, h := range hs {
		hd, err := ParseHeader(h, sizes[i])
		if err != nil {
			t.Fatal(err)
		}
		// Shards hold any share of a model: compare with the header's own
		// entry count rather than a fixed number.
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(h, &raw); err != nil {
			t.Fatal(err)
		}
		if len(hd.Tensors) == 0 || len(hd.Tensors) != len(raw)-1 || hd.Metadata["format"] != "pt" {
			t.Fatalf("fixture header of %d entries parsed to %d tensors, metadata %v", len(raw), len(hd.Tensors), hd.Metadata)
		}
	}
}

func FuzzHeader(f *testing.F) {
	hs, sizes := fixtureHeaders(f)
	for i, h := range hs {
		f.Add(h, sizes[i])
	}
	f.Add([]byte(`{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}`), int64(8))
	f.Fuzz(func(t *testing.T, h []byte, size int64) {
		if size < 0 {
			size = -size
		}
		hd, err := ParseHeader(h, size)
		if err != nil {
			return
		}
		// Whatever is accepted must be consistent.
		pos := int64(0)
		for _, ti := range hd.Tensors {
			if ti.Begin != pos || ti.End-ti.Begin != ti.NumElements()*ti.DType.Size() {
				t.Fatalf("accepted inconsistent tensor %+v", ti)
			}
			pos = ti.End
		}
		if pos != size {
			t.Fatalf("accepted header covering %d of %d bytes", pos, size)
		}
	})
}
