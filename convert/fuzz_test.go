package convert_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/convert/fixture"
)

// FuzzConfig feeds arbitrary config.json text to ReadConfig: it must not
// panic, and what it accepts must be self-consistent.
func FuzzConfig(f *testing.F) {
	for _, n := range fixture.Names {
		b, err := os.ReadFile(filepath.Join(fixture.ModelDir(n), "config.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"model_type":"exaone4","hidden_size":64,"num_hidden_layers":3,"num_attention_heads":2,` +
		`"intermediate_size":8,"vocab_size":9,"max_position_embeddings":4,"rms_norm_eps":1e-5,` +
		`"rope_parameters":{"rope_type":"llama3","rope_theta":1e4,"factor":8,"low_freq_factor":1,` +
		`"high_freq_factor":4,"original_max_position_embeddings":64},"sliding_window":4,"sliding_window_pattern":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := convert.ReadConfig(fstest.MapFS{"config.json": {Data: b}}, ".")
		if err != nil {
			return
		}
		if h.Layers <= 0 || len(h.Sliding) != h.Layers || h.HeadDim <= 0 || h.HeadDim%2 != 0 ||
			h.KVHeads <= 0 || h.Heads%h.KVHeads != 0 || h.SlidingWindow < 0 {
			t.Fatalf("accepted inconsistent %+v", h)
		}
		if h.Llama3 {
			for i, v := range h.RopeFreqs() {
				if !(v > 0) {
					t.Fatalf("rope_freqs[%d] = %v for %+v", i, v, h)
				}
			}
		}
	})
}
