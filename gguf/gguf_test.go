package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// sampleKVs covers every value type, arrays of each and an array of arrays.
func sampleKVs() []KV {
	return []KV{
		{Key: "general.architecture", Value: "exaone4"},
		{Key: "u8", Value: uint8(200)},
		{Key: "i8", Value: int8(-100)},
		{Key: "u16", Value: uint16(60000)},
		{Key: "i16", Value: int16(-30000)},
		{Key: "u32", Value: uint32(4000000000)},
		{Key: "i32", Value: int32(-2000000000)},
		{Key: "f32", Value: float32(1e-5)},
		{Key: "bool", Value: true},
		{Key: "u64", Value: uint64(1) << 60},
		{Key: "i64", Value: int64(-1) << 60},
		{Key: "f64", Value: math.Pi},
		{Key: "a.u8", Value: []uint8{1, 2, 3}},
		{Key: "a.i8", Value: []int8{-1, 2}},
		{Key: "a.u16", Value: []uint16{1, 65535}},
		{Key: "a.i16", Value: []int16{-5, 5}},
		{Key: "a.u32", Value: []uint32{7, 8}},
		{Key: "a.i32", Value: []int32{1, -3, 4}},
		{Key: "a.f32", Value: []float32{0.5, -2}},
		{Key: "a.bool", Value: []bool{true, false, true}},
		{Key: "a.str", Value: []string{"a b", "", "ĠThe"}},
		{Key: "a.u64", Value: []uint64{1 << 40}},
		{Key: "a.i64", Value: []int64{-1 << 40}},
		{Key: "a.f64", Value: []float64{1.5}},
		{Key: "a.nested", Value: []any{[]int32{1, 2}, []string{"x"}}},
	}
}

type sampleTensor struct {
	name string
	typ  quant.Type
	dims []uint64
}

var sampleTensors = []sampleTensor{
	{"token_embd.weight", quant.F32, []uint64{8, 3}},
	{"blk.0.attn_q.weight", quant.Q8_0, []uint64{64, 2}},
	{"blk.0.ffn_up.weight", quant.Q4_0, []uint64{32, 5}},
	{"output_norm.weight", quant.F32, []uint64{7}},
	{"x.bf16", quant.BF16, []uint64{3, 1, 1, 2}},
}

// writeSample writes a file with sampleKVs and sampleTensors whose bytes are
// a deterministic pattern, and returns the data it wrote per tensor.
func writeSample(t testing.TB, path string, extra ...KV) map[string][]byte {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range append(sampleKVs(), extra...) {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range sampleTensors {
		if err := w.AddTensor(st.name, st.typ, st.dims); err != nil {
			t.Fatal(err)
		}
	}
	data := map[string][]byte{}
	for i, st := range sampleTensors {
		size, _ := tensorSize(st.typ, st.dims)
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(j*7 + i)
		}
		data[st.name] = b
		if err := w.WriteTensor(st.name, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	data := writeSample(t, path)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Version != 3 || f.Alignment != 32 {
		t.Fatalf("version %d alignment %d", f.Version, f.Alignment)
	}
	want := sampleKVs()
	if len(f.KVs) != len(want) {
		t.Fatalf("%d KVs, want %d", len(f.KVs), len(want))
	}
	for i, kv := range want {
		got := f.KVs[i]
		if got.Key != kv.Key || !reflect.DeepEqual(got.Value, kv.Value) {
			t.Errorf("kv %d: got %s=%#v, want %s=%#v", i, got.Key, got.Value, kv.Key, kv.Value)
		}
	}
	var prevEnd uint64
	for i, st := range sampleTensors {
		ti := f.Tensors[i]
		if ti.Name != st.name || ti.Type != st.typ || !reflect.DeepEqual(ti.Dims, st.dims) {
			t.Errorf("tensor %d: %+v", i, ti)
		}
		// llama.cpp's rule: offsets are the aligned running sum.
		if ti.Offset != alignUp(prevEnd, 32) {
			t.Errorf("tensor %s offset %d, want %d", ti.Name, ti.Offset, alignUp(prevEnd, 32))
		}
		prevEnd = ti.Offset + ti.Size
		got, err := f.TensorData(st.name)
		if err != nil || !bytes.Equal(got, data[st.name]) {
			t.Errorf("tensor %s data differs (%v)", st.name, err)
		}
	}
	if (f.DataOffset % 32) != 0 {
		t.Errorf("data offset %d not aligned", f.DataOffset)
	}
	// Typed getters.
	if v, err := f.Uint32("u8"); err != nil || v != 200 {
		t.Errorf("Uint32(u8) = %d, %v", v, err)
	}
	if _, err := f.Uint32("i32"); err == nil {
		t.Error("negative i32 accepted as u32")
	}
	if v, err := f.Float32("f64"); err != nil || v != float32(math.Pi) {
		t.Errorf("Float32(f64) = %v, %v", v, err)
	}
	if v, err := f.Strings("a.str"); err != nil || len(v) != 3 || v[2] != "ĠThe" {
		t.Errorf("Strings = %q, %v", v, err)
	}
	if v, err := f.Bools("a.bool"); err != nil || !reflect.DeepEqual(v, []bool{true, false, true}) {
		t.Errorf("Bools = %v, %v", v, err)
	}
	if v, err := f.Int32s("a.u32"); err != nil || !reflect.DeepEqual(v, []int32{7, 8}) {
		t.Errorf("Int32s(u32) = %v, %v", v, err)
	}
	_, err = f.String("u32")
	if err == nil || !strings.Contains(err.Error(), "u32") || !strings.Contains(err.Error(), path) {
		t.Errorf("type error should name key and file: %v", err)
	}
	_, err = f.String("no.such.key")
	if err == nil || !strings.Contains(err.Error(), "no.such.key") || !strings.Contains(err.Error(), path) {
		t.Errorf("missing key error should name key and file: %v", err)
	}
}

// The writer must produce the same bytes every time.
func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
	writeSample(t, a)
	writeSample(t, b)
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatal("two writes of the same content differ")
	}
}

func TestAlignment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	writeSample(t, path, KV{Key: "general.alignment", Value: uint32(64)})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, ti := range f.Tensors {
		if ti.Offset%64 != 0 {
			t.Errorf("%s offset %d not 64-aligned", ti.Name, ti.Offset)
		}
	}
	if f.DataOffset%64 != 0 {
		t.Errorf("data offset %d", f.DataOffset)
	}
}

func TestWriterErrorsLeaveNoFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.SetKV("a", uint32(1))
	if err := w.SetKV("a", uint32(2)); err == nil {
		t.Error("duplicate key accepted")
	}
	if err := w.SetKV("b", struct{}{}); err == nil {
		t.Error("unsupported value type accepted")
	}
	if err := w.AddTensor("q", quant.Q4_0, []uint64{33, 2}); err == nil {
		t.Error("row not a multiple of the block accepted")
	}
	if err := w.AddTensor("x", quant.Type(1234), []uint64{4}); err == nil {
		t.Error("unknown type accepted")
	}
	w.AddTensor("t1", quant.F32, []uint64{4})
	w.AddTensor("t2", quant.F32, []uint64{4})
	if err := w.WriteTensor("t2", make([]byte, 16)); err == nil {
		t.Error("out-of-order tensor accepted")
	}
	if err := w.Close(); err == nil {
		t.Error("Close succeeded after an error")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("files left behind: %v", ents)
	}

	w, _ = Create(path)
	w.AddTensor("t1", quant.F32, []uint64{4})
	if err := w.WriteTensor("t1", make([]byte, 15)); err == nil {
		t.Error("short data accepted")
	}
	w.Abort()
	w, _ = Create(path)
	w.AddTensor("t1", quant.F32, []uint64{4})
	if err := w.Close(); err == nil {
		t.Error("Close with unwritten tensors succeeded")
	}
	ents, _ = os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("files left behind: %v", ents)
	}
}

// header builds GGUF bytes by hand so tests can lie in any field.
type header struct{ b []byte }

func (h *header) u32(v uint32) *header { h.b = binary.LittleEndian.AppendUint32(h.b, v); return h }
func (h *header) u64(v uint64) *header { h.b = binary.LittleEndian.AppendUint64(h.b, v); return h }
func (h *header) str(s string) *header { h.u64(uint64(len(s))); h.b = append(h.b, s...); return h }
func (h *header) start(nt, nkv uint64) *header {
	h.b = append(h.b, "GGUF"...)
	return h.u32(3).u64(nt).u64(nkv)
}
func (h *header) tensor(name string, typ uint32, off uint64, dims ...uint64) *header {
	h.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		h.u64(d)
	}
	return h.u32(typ).u64(off)
}
func (h *header) pad() *header {
	for len(h.b)%32 != 0 {
		h.b = append(h.b, 0)
	}
	return h
}

func TestHostile(t *testing.T) {
	big := uint64(1) << 62
	cases := []struct {
		name, want string
		b          []byte
	}{
		{"magic", "not a GGUF", []byte("GGML\x03\x00\x00\x00" + strings.Repeat("\x00", 16))},
		{"version", "version 7", (&header{}).start(0, 0).b[:4:4]},
		{"huge kv count", "metadata count", (&header{}).start(0, big).b},
		{"huge tensor count", "tensor count", (&header{}).start(big, 0).b},
		{"huge key length", "key", append((&header{}).start(0, 1).u64(big).b, make([]byte, 16)...)},
		{"huge string", "string length", (&header{}).start(0, 1).str("k").u32(uint32(TypeString)).u64(big).b},
		{"huge array", "array of", (&header{}).start(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint64)).u64(big).b},
		{"huge string array", "array of", (&header{}).start(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(big).b},
		{"unknown value type", "unknown value type 13", (&header{}).start(0, 1).str("k").u32(13).b},
		{"unknown elem type", "unknown array element type", (&header{}).start(0, 1).str("k").u32(uint32(TypeArray)).u32(99).u64(1).b},
		{"duplicate key", "duplicate key", (&header{}).start(0, 2).str("k").u32(uint32(TypeBool)).b},
		{"bad alignment", "power of two", (&header{}).start(0, 1).str("general.alignment").u32(uint32(TypeUint32)).u32(48).b},
		{"alignment type", "general.alignment", (&header{}).start(0, 1).str("general.alignment").u32(uint32(TypeUint64)).u64(32).b},
		{"zero dims", "0 dimensions", append((&header{}).start(1, 0).tensor("t", 0, 0).b, make([]byte, 32)...)},
		{"five dims", "5 dimensions", (&header{}).start(1, 0).tensor("t", 0, 0, 1, 1, 1, 1, 1).b},
		{"unknown tensor type", "unsupported tensor type", (&header{}).start(1, 0).tensor("t", 39, 0, 4).pad().b},
		{"block mismatch", "multiple", (&header{}).start(1, 0).tensor("t", uint32(quant.Q8_0), 0, 33).pad().b},
		{"dim overflow", "overflow", (&header{}).start(1, 0).tensor("t", 0, 0, 1<<40, 1<<40).pad().b},
		{"offset past end", "past the end", (&header{}).start(1, 0).tensor("t", 0, 0, 1024).pad().b},
		{"offset misaligned", "alignment", append((&header{}).start(1, 0).tensor("t", 0, 4, 4).pad().b, make([]byte, 64)...)},
		{"overlap", "overlaps", append((&header{}).start(2, 0).tensor("a", 0, 0, 16).tensor("b", 0, 32, 4).pad().b, make([]byte, 64)...)},
		{"duplicate tensor", "duplicate tensor", (&header{}).start(2, 0).tensor("a", 0, 0, 4).tensor("a", 0, 32, 4).pad().b},
	}
	// The duplicate-key case needs its second entry appended.
	for i := range cases {
		if cases[i].name == "duplicate key" {
			cases[i].b = append(cases[i].b, 1)
			cases[i].b = (&header{b: cases[i].b}).str("k").u32(uint32(TypeBool)).b
			cases[i].b = append(cases[i].b, 1)
		}
		if cases[i].name == "version" {
			cases[i].b = (&header{b: []byte("GGUF")}).u32(7).u64(0).u64(0).b
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := OpenBytes("hostile.gguf", c.b)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "hostile.gguf") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q should name the file and say %q", err, c.want)
			}
		})
	}
}

// Truncating a valid file anywhere inside its header or data must give an
// error, never a panic or a file that claims data it does not have.
func TestTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	writeSample(t, path)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenBytes("full", full)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Tensors[len(f.Tensors)-1]
	end := int(f.DataOffset + last.Offset + last.Size)
	for n := 0; n < end; n++ {
		if _, err := OpenBytes("cut.gguf", full[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, end)
		} else if !strings.Contains(err.Error(), "cut.gguf") {
			t.Fatalf("error does not name the file: %v", err)
		}
	}
	// Truncation of the on-disk file goes through the mmap path.
	short := filepath.Join(t.TempDir(), "short.gguf")
	os.WriteFile(short, full[:end-1], 0o644)
	if _, err := Open(short); err == nil {
		t.Fatal("truncated file opened")
	}
	os.WriteFile(short, nil, 0o644)
	if _, err := Open(short); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Fatalf("empty file: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), "m.gguf")
	writeSample(f, path)
	b, _ := os.ReadFile(path)
	f.Add(b)
	f.Add(b[:100])
	for _, name := range []string{"../testdata/llamacpp-header.gguf"} {
		if s, err := os.ReadFile(name); err == nil {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := OpenBytes("fuzz.gguf", b)
		if err != nil {
			return
		}
		// Everything a valid parse reports must be addressable.
		for i := range g.Tensors {
			d := g.Data(&g.Tensors[i])
			if uint64(len(d)) != g.Tensors[i].Size {
				t.Fatalf("tensor %s: %d bytes, want %d", g.Tensors[i].Name, len(d), g.Tensors[i].Size)
			}
		}
	})
}
