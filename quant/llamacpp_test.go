package quant_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
)

// llama-quantize's files of tiny-global-kjv (see ../../shared/fixtures);
// the test is skipped where they are absent (a clean clone).
const llamaDir = "../../shared/fixtures/llamacpp"

func openFixture(t *testing.T, name string) *gguf.File {
	t.Helper()
	p := filepath.Join(llamaDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Quantizing llama.cpp's own bf16 values: the legacy types and Q6_K must
// give its bytes exactly, Q4_K/Q5_K (our own search) a per-tensor RMSE at
// most 2% above its.
func TestAgainstLlamaQuantize(t *testing.T) {
	if testing.Short() {
		t.Skip("quantizes whole model files")
	}
	src := openFixture(t, "tiny-global-kjv-bf16.gguf")
	for _, name := range []string{"Q8_0", "Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K"} {
		f := openFixture(t, "tiny-global-kjv-"+name+".gguf")
		checked := 0
		for _, ti := range f.Tensors {
			if ti.Type == quant.F32 {
				continue
			}
			raw, err := src.TensorData(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, len(raw)/2)
			for i := range x {
				x[i] = quant.BF16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
			}
			ref, err := f.TensorData(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			ours := make([]byte, len(ref))
			if err := quant.Quantize(ti.Type, ours, x); err != nil {
				t.Fatalf("%s %s: %v", name, ti.Name, err)
			}
			checked++
			switch ti.Type {
			case quant.Q4_K, quant.Q5_K:
				theirs, mine := rmse(t, ti.Type, x, ref), rmse(t, ti.Type, x, ours)
				if mine > 1.02*theirs {
					t.Errorf("%s %s (%s): RMSE %.4g, llama.cpp %.4g", name, ti.Name, ti.Type, mine, theirs)
				}
			default:
				if !bytes.Equal(ours, ref) {
					t.Errorf("%s %s (%s): bytes differ from llama-quantize's", name, ti.Name, ti.Type)
				}
			}
		}
		if checked < 50 {
			t.Errorf("%s: only %d tensors checked", name, checked)
		}
	}
}

func rmse(t *testing.T, typ quant.Type, x []float32, q []byte) float64 {
	y := make([]float32, len(x))
	if err := quant.Dequantize(typ, y, q); err != nil {
		t.Fatal(err)
	}
	var e float64
	for i := range x {
		d := float64(y[i]) - float64(x[i])
		e += d * d
	}
	return math.Sqrt(e / float64(len(x)))
}
