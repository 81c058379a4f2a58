package generate

import (
	"testing"
	"time"
)

// TestChunkBudget: a prompt chunk beside generating slots adds about one
// decode step's time, within [minChunk, most], and is the most until both
// times are known.
func TestChunkBudget(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		decode, token time.Duration
		most, want    int
	}{
		{0, 0, 64, 64},
		{20 * ms, 0, 64, 64},
		{20 * ms, 2 * ms, 64, 10},  // 10 tokens add one decode step
		{20 * ms, ms / 10, 64, 64}, // cheap tokens: the most
		{20 * ms, 10 * ms, 64, 8},  // dear tokens: at least minChunk
		{20 * ms, 10 * ms, 4, 4},   // ... unless the most is smaller
		{20 * ms, 2 * ms, 6, 6},
	} {
		if got := chunkBudget(c.decode, c.token, c.most); got != c.want {
			t.Errorf("chunkBudget(%v, %v, %d) = %d, want %d", c.decode, c.token, c.most, got, c.want)
		}
	}
}
