package model_test

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/convert/fixture"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/model"
)

// rewriteKVs copies a fixture's GGUF with metadata changed: a nil value
// deletes the key.
func rewriteKVs(t *testing.T, name string, set map[string]any) string {
	t.Helper()
	src, err := gguf.Open(fixture.GGUF(t, name, "q8_0"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "m.gguf")
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	for _, kv := range src.KVs {
		v, ok := set[kv.Key]
		done[kv.Key] = true
		if !ok {
			v = kv.Value
		} else if v == nil {
			continue
		}
		if err := w.SetKV(kv.Key, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range set {
		if !done[k] && v != nil {
			if err := w.SetKV(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, ti := range src.Tensors {
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims); err != nil {
			t.Fatal(err)
		}
	}
	for _, ti := range src.Tensors {
		if err := w.WriteTensor(ti.Name, src.Data(&ti)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Metadata the decoder cannot run with is refused at load, naming the key.
func TestHostileMetadata(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name  string
		model string
		set   map[string]any
		key   string
	}{
		{"freq_base 0", "tiny-global-random", map[string]any{"exaone4.rope.freq_base": float32(0)}, "rope.freq_base"},
		{"freq_base NaN", "tiny-global-random", map[string]any{"exaone4.rope.freq_base": nan}, "rope.freq_base"},
		{"freq_base negative", "tiny-global-random", map[string]any{"exaone4.rope.freq_base": float32(-10000)}, "rope.freq_base"},
		{"freq_base Inf", "tiny-global-random", map[string]any{"exaone4.rope.freq_base": inf}, "rope.freq_base"},
		{"eps NaN", "tiny-global-random", map[string]any{"exaone4.attention.layer_norm_rms_epsilon": nan}, "layer_norm_rms_epsilon"},
		{"eps Inf", "tiny-global-random", map[string]any{"exaone4.attention.layer_norm_rms_epsilon": inf}, "layer_norm_rms_epsilon"},
		{"eps 0", "tiny-global-random", map[string]any{"exaone4.attention.layer_norm_rms_epsilon": float32(0)}, "layer_norm_rms_epsilon"},
		{"eps negative", "tiny-global-random", map[string]any{"exaone4.attention.layer_norm_rms_epsilon": float32(-1e-5)}, "layer_norm_rms_epsilon"},
		{"window 0 with sliding layers", "tiny-hybrid-random", map[string]any{"exaone4.attention.sliding_window": uint32(0)}, "attention.sliding_window"},
		{"kv heads do not divide", "tiny-global-random", map[string]any{"exaone4.attention.head_count_kv": uint32(3)}, "head_count_kv"},
		{"kv heads 0", "tiny-global-random", map[string]any{"exaone4.attention.head_count_kv": uint32(0)}, "head_count_kv"},
		{"heads do not divide the embedding", "tiny-global-random", map[string]any{"exaone4.attention.head_count": uint32(7), "exaone4.attention.key_length": nil, "exaone4.attention.value_length": nil}, "head_count"},
		{"context_length 0", "tiny-global-random", map[string]any{"exaone4.context_length": uint32(0)}, "context_length"},
		{"context_length huge", "tiny-global-random", map[string]any{"exaone4.context_length": uint32(1<<24 + 1)}, "context_length"},
	}
	for _, c := range cases {
		path := rewriteKVs(t, c.model, c.set)
		m, err := model.Open(path)
		if err == nil {
			m.Close()
			t.Errorf("%s: accepted", c.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.key) || !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q does not name %s and the file on one line", c.name, msg, c.key)
		}
		t.Logf("%s: %v", c.name, err)
	}
}

// An invalid EXAONE_KERNELS is reported by Open, naming the variable,
// instead of panicking in the first kernel. asm reads the variable at
// start, so the check runs in a child process.
func TestKernelEnvError(t *testing.T) {
	if os.Getenv("EXAONE_TEST_KERNEL_CHILD") == "1" {
		m, err := model.Open(os.Getenv("EXAONE_TEST_MODEL"))
		if err == nil {
			m.Close()
			t.Fatal("Open succeeded with a bogus kernel path")
		}
		if !strings.Contains(err.Error(), "EXAONE_KERNELS") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %q does not name EXAONE_KERNELS on one line", err)
		}
		return
	}
	path := fixture.GGUF(t, "tiny-global-random", "q8_0")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelEnvError$", "-test.count=1")
	cmd.Env = append(os.Environ(), "EXAONE_TEST_KERNEL_CHILD=1", "EXAONE_TEST_MODEL="+path, asm.EnvVar+"=bogus")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
