package convert_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/convert/safetensors"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
)

var update = flag.Bool("update", false, "regenerate testdata/llamacpp/*.json from ../shared/fixtures/llamacpp")

// llamaFile is what testdata/llamacpp/<file>.json keeps of one of
// llama.cpp's GGUF files: enough to compare our conversion with it without
// storing the file.
type llamaFile struct {
	File    string                 `json:"file"`
	Model   string                 `json:"model"`
	Preset  string                 `json:"preset"`
	KV      map[string]string      `json:"kv"` // key -> canonical value (arrays: count and SHA-256)
	Tensors map[string]llamaTensor `json:"tensors"`
	// RopeFreqs holds rope_freqs.weight's values, compared element by
	// element (see checkRopeFreqs).
	RopeFreqs []float32 `json:"rope_freqs"`
	// Order lists metadata keys, then tensor names, in file order.
	KVOrder     []string `json:"kv_order"`
	TensorOrder []string `json:"tensor_order"`
}

type llamaTensor struct {
	Type   string   `json:"type"`
	Dims   []uint64 `json:"dims"`
	SHA256 string   `json:"sha256"`
	// RMSE of the dequantized tensor against the source checkpoint, for
	// quantized tensors.
	RMSE float64 `json:"rmse,omitempty"`
}

var llamaFiles = []struct{ file, model, preset string }{
	{"tiny-global-kjv-bf16.gguf", "tiny-global-kjv", "bf16"},
	{"tiny-global-kjv-Q8_0.gguf", "tiny-global-kjv", "q8_0"},
	{"tiny-global-kjv-Q4_0.gguf", "tiny-global-kjv", "q4_0"},
	{"tiny-global-kjv-Q4_K_M.gguf", "tiny-global-kjv", "q4_k_m"},
	{"tiny-global-kjv-Q5_K_M.gguf", "tiny-global-kjv", "q5_k_m"},
	{"tiny-global-kjv-Q6_K.gguf", "tiny-global-kjv", "q6_k"},
	{"tiny-hybrid-kjv-Q8_0.gguf", "tiny-hybrid-kjv", "q8_0"},
	{"tiny-hybrid-kjv-Q4_K_M.gguf", "tiny-hybrid-kjv", "q4_k_m"},
}

// canonKV renders a metadata value so that two files can be compared key by
// key; long arrays become their length and a hash.
func canonKV(kv gguf.KV) string {
	switch v := kv.Value.(type) {
	case []string:
		h := sha256.New()
		for _, s := range v {
			fmt.Fprintf(h, "%d:%s", len(s), s)
		}
		return fmt.Sprintf("[%d]string sha256:%x", len(v), h.Sum(nil))
	case []int32, []bool, []uint32, []float32:
		b, _ := json.Marshal(v)
		if len(b) > 200 {
			s := sha256.Sum256(b)
			return fmt.Sprintf("%T sha256:%x", v, s)
		}
		return fmt.Sprintf("%T %s", v, b)
	case string:
		if len(v) > 200 {
			s := sha256.Sum256([]byte(v))
			return fmt.Sprintf("string[%d] sha256:%x", len(v), s)
		}
	}
	return fmt.Sprintf("%T %v", kv.Value, kv.Value)
}

// rmse dequantizes a tensor and measures it against the checkpoint.
func rmse(t *testing.T, m *safetensors.Model, name string, typ quant.Type, data []byte) float64 {
	sf, si, ok := m.Tensor(hfName(name))
	if !ok {
		t.Fatalf("no source for %s", name)
	}
	src := make([]float32, si.NumElements())
	if _, err := sf.ReadFloat32(si, src, nil); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, len(src))
	if err := quant.Dequantize(typ, got, data); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i := range src {
		d := float64(got[i] - src[i])
		sum += d * d
	}
	return math.Sqrt(sum / float64(len(src)))
}

func summarize(t *testing.T, path string, m *safetensors.Model) *llamaFile {
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lf := &llamaFile{File: filepath.Base(path), KV: map[string]string{}, Tensors: map[string]llamaTensor{}}
	for _, kv := range f.KVs {
		lf.KV[kv.Key] = canonKV(kv)
		lf.KVOrder = append(lf.KVOrder, kv.Key)
	}
	for _, ti := range f.Tensors {
		data, err := f.TensorData(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		lf.TensorOrder = append(lf.TensorOrder, ti.Name)
		lt := llamaTensor{Type: ti.Type.String(), Dims: ti.Dims, SHA256: hex.EncodeToString(s[:])}
		if ti.Type != quant.F32 && ti.Type != quant.BF16 {
			lt.RMSE = rmse(t, m, ti.Name, ti.Type, data)
		}
		lf.Tensors[ti.Name] = lt
		if ti.Name == "rope_freqs.weight" {
			lf.RopeFreqs = make([]float32, ti.Elements())
			if err := quant.Dequantize(quant.F32, lf.RopeFreqs, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return lf
}

var sources = map[string]*safetensors.Model{}

// openSource opens a fixture's checkpoint once per test process.
func openSource(t *testing.T, model string) *safetensors.Model {
	if m, ok := sources[model]; ok {
		return m
	}
	m, err := safetensors.OpenModel(os.DirFS(fixture.ModelDir(model)), ".")
	if err != nil {
		t.Fatal(err)
	}
	sources[model] = m
	return m
}

func sumsPath(file string) string {
	return filepath.Join(fixture.Root(), "testdata", "llamacpp", strings.TrimSuffix(file, ".gguf")+".json")
}

// TestLlamaSums compares our conversions with llama.cpp's files through the
// per-tensor sums kept in testdata/llamacpp: identical metadata (but
// general.file_type/quantization_version placement, which llama-quantize
// reorders), identical tensor names, shapes and types, and identical bytes
// for every tensor whose quantizer is deterministic in ggml (F32, BF16,
// Q8_0, Q4_0; Q5_0/Q5_1 too). K-quant tensors are not bit-exact by design.
func TestLlamaSums(t *testing.T) {
	if *update {
		shared, ok := fixture.Shared()
		if !ok {
			t.Fatal("-update needs ../shared/fixtures")
		}
		os.MkdirAll(filepath.Join(fixture.Root(), "testdata", "llamacpp"), 0o755)
		for _, lf := range llamaFiles {
			s := summarize(t, filepath.Join(shared, "llamacpp", lf.file), openSource(t, lf.model))
			s.Model, s.Preset = lf.model, lf.preset
			b, _ := json.MarshalIndent(s, "", " ")
			if err := os.WriteFile(sumsPath(lf.file), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, lf := range llamaFiles {
		t.Run(lf.file, func(t *testing.T) {
			b, err := os.ReadFile(sumsPath(lf.file))
			if err != nil {
				t.Fatal(err)
			}
			var want llamaFile
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			got := summarize(t, fixture.GGUF(t, lf.model, lf.preset), openSource(t, lf.model))
			for k, v := range want.KV {
				if got.KV[k] != v {
					t.Errorf("metadata %s = %q, llama.cpp has %q", k, got.KV[k], v)
				}
			}
			for k := range got.KV {
				if _, ok := want.KV[k]; !ok {
					t.Errorf("metadata %s is not in llama.cpp's file", k)
				}
			}
			if len(got.Tensors) != len(want.Tensors) {
				t.Errorf("%d tensors, llama.cpp has %d", len(got.Tensors), len(want.Tensors))
			}
			// llama-quantize reorders; the converter's own (bf16) file is
			// the layout to follow.
			if want.Preset == "bf16" {
				if fmt.Sprint(got.KVOrder) != fmt.Sprint(want.KVOrder) {
					t.Errorf("metadata order %v, llama.cpp %v", got.KVOrder, want.KVOrder)
				}
				if fmt.Sprint(got.TensorOrder) != fmt.Sprint(want.TensorOrder) {
					t.Errorf("tensor order %v, llama.cpp %v", got.TensorOrder, want.TensorOrder)
				}
			}
			var exact, typed int
			var worst float64
			names := make([]string, 0, len(want.Tensors))
			for n := range want.Tensors {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				w := want.Tensors[n]
				g, ok := got.Tensors[n]
				if !ok {
					t.Errorf("tensor %s missing", n)
					continue
				}
				if g.Type != w.Type || fmt.Sprint(g.Dims) != fmt.Sprint(w.Dims) {
					t.Errorf("tensor %s: %s %v, llama.cpp has %s %v", n, g.Type, g.Dims, w.Type, w.Dims)
					continue
				}
				typed++
				switch {
				case n == "rope_freqs.weight":
					exact += checkRopeFreqs(t, lf.model, got.RopeFreqs, want.RopeFreqs)
				case strings.HasSuffix(w.Type, "_K"):
					// Our own K-quant search: no more than 2% above
					// llama.cpp's error on any tensor (issue 6).
					if g.RMSE > 1.02*w.RMSE {
						t.Errorf("tensor %s (%s): RMSE %.4g, llama.cpp %.4g", n, w.Type, g.RMSE, w.RMSE)
					}
					worst = max(worst, g.RMSE/w.RMSE)
				default:
					if g.SHA256 != w.SHA256 {
						t.Errorf("tensor %s (%s): data differ from llama.cpp's", n, w.Type)
					} else {
						exact++
					}
				}
			}
			t.Logf("%d tensors with llama.cpp's type, %d byte-identical; worst K-quant RMSE ratio to llama.cpp %.4f", typed, exact, worst)
		})
	}
}

// checkRopeFreqs demands rope_freqs bit for bit: each element must be what
// the reference script's arithmetic gives (float32 inv_freq from a correctly
// rounded float32 power, then float64 to one final rounding), and equal to
// llama.cpp's file unless that file's float32 power was not correctly
// rounded there (a vectorized power is allowed an ulp), which is proven
// element by element: the power next to the correctly rounded one
// reproduces the file's value. It returns 1 if every element is equal.
func checkRopeFreqs(t *testing.T, model string, got, want []float32) int {
	t.Helper()
	h, err := convert.ReadConfig(os.DirFS(fixture.ModelDir(model)), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != h.HeadDim/2 || len(want) != len(got) {
		t.Fatalf("rope_freqs has %d values, llama.cpp %d, head_dim %d", len(got), len(want), h.HeadDim)
	}
	chain := func(p float32) float32 {
		wavelen := 2 * math.Pi / float64(1/p)
		switch {
		case wavelen < h.RopeOrigCtx/h.RopeHighFreq:
			return 1
		case wavelen > h.RopeOrigCtx/h.RopeLowFreq:
			return float32(h.RopeFactor)
		}
		s := (h.RopeOrigCtx/wavelen - h.RopeLowFreq) / (h.RopeHighFreq - h.RopeLowFreq)
		return float32(1 / ((1-s)/h.RopeFactor + s))
	}
	base := float32(h.RopeTheta)
	same := 1
	for i := range got {
		p := roundedPow(t, base, 2*i, h.HeadDim)
		if w := chain(p); got[i] != w {
			t.Errorf("rope_freqs[%d] = %v, want %v", i, got[i], w)
			continue
		}
		if got[i] == want[i] {
			continue
		}
		same = 0
		up, down := math.Nextafter32(p, 2*p), math.Nextafter32(p, 0)
		if chain(up) != want[i] && chain(down) != want[i] {
			t.Errorf("rope_freqs[%d] = %v, llama.cpp has %v, which no neighbouring float32 power explains", i, got[i], want[i])
			continue
		}
		t.Logf("rope_freqs[%d] = %v, llama.cpp has %v: its float32 power of %v to %d/%d was not the correctly rounded %v", i, got[i], want[i], base, 2*i, h.HeadDim, p)
	}
	return same
}

// roundedPow returns base^(num/den) correctly rounded to float32, checked
// exactly: the power lies between the midpoints to its float32 neighbours,
// compared through their den-th powers against base^num in big floats.
func roundedPow(t *testing.T, base float32, num, den int) float32 {
	t.Helper()
	p := float32(math.Pow(float64(base), float64(float32(num)/float32(den))))
	const prec = 1 << 14
	pow := func(x float64, n int) *big.Float {
		r := new(big.Float).SetPrec(prec).SetFloat64(1)
		b := new(big.Float).SetPrec(prec).SetFloat64(x)
		for range n {
			r.Mul(r, b)
		}
		return r
	}
	target := pow(float64(base), num)
	lo := (float64(p) + float64(math.Nextafter32(p, 0))) / 2 // exact in float64
	hi := (float64(p) + float64(math.Nextafter32(p, 2*p))) / 2
	if pow(lo, den).Cmp(target) > 0 || pow(hi, den).Cmp(target) < 0 {
		t.Fatalf("%v^(%d/%d) = %v is not correctly rounded", base, num, den, p)
	}
	return p
}

// TestPresetTypes checks the per-tensor type rules without converting,
// against llama.cpp's tables.
func TestPresetTypes(t *testing.T) {
	for _, lf := range llamaFiles {
		b, err := os.ReadFile(sumsPath(lf.file))
		if err != nil {
			t.Fatal(err)
		}
		var want llamaFile
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		p, err := convert.LookupPreset(lf.preset)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for n, w := range want.Tensors {
			got := p.TensorType(n, w.Dims, 8, "token_embd.weight")
			if got.String() != w.Type {
				t.Errorf("%s: %s gets %s, llama.cpp %s", lf.file, n, got, w.Type)
			}
			count[w.Type]++
		}
		t.Logf("%s: %v", lf.file, count)
	}
}
