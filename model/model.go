// Package model runs the EXAONE 4 decoder over a GGUF file mapped into
// memory: weights are used in place, quantized or not, and a Session holds
// the KV cache and scratch buffers of one sequence.
package model

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
)

// Matrix is a weight matrix of Rows output rows, each Cols input values
// stored contiguously in Type (a GGUF tensor of ne = [Cols, Rows]).
type Matrix struct {
	Name     string
	Type     quant.Type // as stored in the file
	Layout   quant.Type // of Data: Type, or what Type was repacked to
	Rows     int
	Cols     int
	RowBytes int
	Data     []byte
}

// Row returns the bytes of row r.
func (m *Matrix) Row(r int) []byte { return m.Data[r*m.RowBytes : (r+1)*m.RowBytes] }

// Layer holds the weights of one decoder block.
type Layer struct {
	Wq, Wk, Wv, Wo    *Matrix
	QNorm, KNorm      []float32 // per-head RMSNorm weights, HeadDim each
	PostAttnNorm      []float32
	Wgate, Wup, Wdown *Matrix
	PostFFNNorm       []float32
}

// Model is an opened EXAONE 4 GGUF file.
type Model struct {
	Config
	File       *gguf.File
	TokEmbd    *Matrix
	Output     *Matrix // the LM head; TokEmbd when the embeddings are tied
	OutputNorm []float32
	Layers     []Layer
	// invFreq[i] is the angle per position of RoPE pair i, with the llama3
	// scaling factors of rope_freqs.weight folded in.
	invFreq []float32
}

// Open maps an exaone4 GGUF file and checks every tensor the decoder needs.
func Open(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := FromFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return m, nil
}

// FromFile builds a model over an already opened file (which the model
// then owns). An invalid EXAONE_KERNELS setting is reported here, before
// any kernel runs (each would panic with it).
func FromFile(f *gguf.File) (*Model, error) {
	if err := asm.Err(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	cfg, err := readConfig(f)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, File: f}
	l := loader{f: f}
	m.TokEmbd = l.matrix("token_embd.weight", cfg.Embd, -1)
	if l.err != nil {
		return nil, l.err
	}
	if m.Vocab == 0 {
		m.Vocab = m.TokEmbd.Rows
	}
	if m.TokEmbd.Rows != m.Vocab {
		return nil, fmt.Errorf("model: %s: token_embd.weight has %d rows, vocab_size is %d", f.Path, m.TokEmbd.Rows, m.Vocab)
	}
	if _, ok := f.Tensor("output.weight"); ok {
		m.Output = l.matrix("output.weight", cfg.Embd, m.Vocab)
	} else {
		m.Output = m.TokEmbd
	}
	m.OutputNorm = l.vector("output_norm.weight", cfg.Embd)
	qd, kvd := cfg.Heads*cfg.HeadDim, cfg.KVHeads*cfg.HeadDim
	m.Layers = make([]Layer, cfg.Layers)
	for i := range m.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		m.Layers[i] = Layer{
			Wq:           l.matrix(p+"attn_q.weight", cfg.Embd, qd),
			Wk:           l.matrix(p+"attn_k.weight", cfg.Embd, kvd),
			Wv:           l.matrix(p+"attn_v.weight", cfg.Embd, kvd),
			Wo:           l.matrix(p+"attn_output.weight", qd, cfg.Embd),
			QNorm:        l.vector(p+"attn_q_norm.weight", cfg.HeadDim),
			KNorm:        l.vector(p+"attn_k_norm.weight", cfg.HeadDim),
			PostAttnNorm: l.vector(p+"post_attention_norm.weight", cfg.Embd),
			Wgate:        l.matrix(p+"ffn_gate.weight", cfg.Embd, cfg.FF),
			Wup:          l.matrix(p+"ffn_up.weight", cfg.Embd, cfg.FF),
			Wdown:        l.matrix(p+"ffn_down.weight", cfg.FF, cfg.Embd),
			PostFFNNorm:  l.vector(p+"post_ffw_norm.weight", cfg.Embd),
		}
	}
	var ropeFreqs []float32
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		ropeFreqs = l.vector("rope_freqs.weight", cfg.HeadDim/2)
	}
	if l.err != nil {
		return nil, l.err
	}
	m.invFreq = make([]float32, cfg.HeadDim/2)
	for i := range m.invFreq {
		v := math.Pow(float64(cfg.RopeTheta), -2*float64(i)/float64(cfg.HeadDim))
		if ropeFreqs != nil {
			if !(ropeFreqs[i] > 0) {
				return nil, fmt.Errorf("model: %s: rope_freqs.weight[%d] = %g is not positive", f.Path, i, ropeFreqs[i])
			}
			v /= float64(ropeFreqs[i])
		}
		m.invFreq[i] = float32(v)
	}
	return m, nil
}

// Close unmaps the file; the model must not be used afterwards.
func (m *Model) Close() error { return m.File.Close() }

// loader fetches tensors, recording the first error (which names the
// tensor and the file).
type loader struct {
	f   *gguf.File
	err error
}

func (l *loader) fail(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf("model: %s: "+format, append([]any{l.f.Path}, args...)...)
	}
}

// matrix returns the 2-D tensor name with rows of cols values; rows < 0
// accepts any row count.
func (l *loader) matrix(name string, cols, rows int) *Matrix {
	if l.err != nil {
		return nil
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		l.fail("missing tensor %s", name)
		return nil
	}
	if len(t.Dims) != 2 || t.Dims[0] != uint64(cols) || (rows >= 0 && t.Dims[1] != uint64(rows)) {
		l.fail("tensor %s has shape %v, want [%d %d]", name, t.Dims, cols, rows)
		return nil
	}
	if !computes(t.Type) {
		l.fail("tensor %s has type %s, which this runtime cannot compute with", name, t.Type)
		return nil
	}
	data, layout := l.f.Data(t), t.Type
	if t.Type == quant.Q5_0 {
		data, layout = repackQ5_0(data), quant.Q8_0
	}
	rb, _ := quant.RowBytes(layout, int64(cols))
	return &Matrix{Name: name, Type: t.Type, Layout: layout, Rows: int(t.Dims[1]), Cols: cols, RowBytes: int(rb), Data: data}
}

// vector returns a 1-D tensor as float32 values (F32 used in place when
// aligned, other types converted).
func (l *loader) vector(name string, n int) []float32 {
	if l.err != nil {
		return nil
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		l.fail("missing tensor %s", name)
		return nil
	}
	if len(t.Dims) != 1 || t.Dims[0] != uint64(n) {
		l.fail("tensor %s has shape %v, want [%d]", name, t.Dims, n)
		return nil
	}
	data := l.f.Data(t)
	if t.Type == quant.F32 && uintptr(unsafe.Pointer(unsafe.SliceData(data)))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(data))), n)
	}
	out := make([]float32, n)
	if err := quant.Dequantize(t.Type, out, data); err != nil {
		l.fail("tensor %s: %v", name, err)
	}
	return out
}
