package generate

import (
	"math"

	"github.com/exaone-go/exaone/sampler"
)

// Temporary until the sampler validates and biases itself.
func shimParams(p sampler.Params, ignoreEOS bool, eos, vocab int) (sampler.Params, error) {
	return p, nil
}

func shimSample(s *sampler.Sampler, logits []float32, ignoreEOS bool, eos int) int {
	if ignoreEOS && eos >= 0 {
		logits[eos] = float32(math.Inf(-1))
	}
	return s.Sample(logits)
}
