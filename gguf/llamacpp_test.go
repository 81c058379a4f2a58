package gguf

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// llamaDir is where the shared llama.cpp-made files live beside a checkout.
// They are too large to copy into testdata; CI has them.
func llamaDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "shared", "fixtures", "llamacpp")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("llama.cpp fixture files not present at %s", dir)
	}
	return dir
}

// The tensor types per file are those the fixtures README lists for the
// files llama-quantize wrote.
func TestOpenLlamaCppFiles(t *testing.T) {
	dir := llamaDir(t)
	want := map[string]map[quant.Type]int{
		"tiny-global-kjv-Q4_0.gguf":   {quant.Q4_0: 56, quant.Q6_K: 1, quant.F32: 34},
		"tiny-global-kjv-Q4_K_M.gguf": {quant.Q4_K: 44, quant.Q6_K: 5, quant.Q5_0: 4, quant.Q8_0: 4, quant.F32: 34},
		"tiny-global-kjv-Q5_K_M.gguf": {quant.Q5_K: 44, quant.Q6_K: 5, quant.Q5_1: 4, quant.Q8_0: 4, quant.F32: 34},
		"tiny-global-kjv-Q6_K.gguf":   {quant.Q6_K: 49, quant.Q8_0: 8, quant.F32: 34},
		"tiny-global-kjv-Q8_0.gguf":   {quant.Q8_0: 57, quant.F32: 34},
		"tiny-global-kjv-bf16.gguf":   {quant.BF16: 57, quant.F32: 34},
		"tiny-hybrid-kjv-Q8_0.gguf":   {quant.Q8_0: 57, quant.F32: 34},
		"tiny-hybrid-kjv-Q4_K_M.gguf": {quant.Q4_K: 44, quant.Q6_K: 5, quant.Q5_0: 4, quant.Q8_0: 4, quant.F32: 34},
	}
	for name, types := range want {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got := map[quant.Type]int{}
		for _, ti := range f.Tensors {
			got[ti.Type]++
		}
		if !reflect.DeepEqual(got, types) {
			t.Errorf("%s: tensor types %v, want %v", name, got, types)
		}
		if arch, err := f.String("general.architecture"); err != nil || arch != "exaone4" {
			t.Errorf("%s: architecture %q %v", name, arch, err)
		}
		if n, err := f.Uint32("exaone4.block_count"); err != nil || n != 8 {
			t.Errorf("%s: block_count %d %v", name, n, err)
		}
		f.Close()
	}
}
