package convert

import (
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
)

// SetChunkElems sets the values per streamed piece and returns a function
// that restores the default.
func SetChunkElems(n int64) (restore func()) {
	old := chunkElems
	chunkElems = n
	return func() { chunkElems = old }
}

// SyntheticTensors lists the tensors WriteSynthetic writes for shape in
// preset, with their types and data sizes, without writing them.
func SyntheticTensors(shape Shape, preset string) ([]gguf.TensorInfo, error) {
	p, err := LookupPreset(preset)
	if err != nil {
		return nil, err
	}
	var out []gguf.TensorInfo
	for _, t := range syntheticPlan(shape.hparams(), p) {
		n := int64(1)
		for _, d := range t.dims[1:] {
			n *= int64(d)
		}
		rb, err := quant.RowBytes(t.typ, int64(t.dims[0]))
		if err != nil {
			return nil, err
		}
		out = append(out, gguf.TensorInfo{Name: t.name, Dims: t.dims, Type: t.typ, Size: uint64(rb * n)})
	}
	return out, nil
}
