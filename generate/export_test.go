package generate

import "slices"

// StepRow is one slot's part in a Batch step, for the tests.
type StepRow struct {
	Slot   int  // index in Sessions
	Tokens int  // tokens evaluated
	Decode bool // a generated token (else prompt tokens)
}

// OnStep has the batch's loop call fn before each step with its rows.
func OnStep(b *Batch, fn func([]StepRow)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hook = func() {
		rows := make([]StepRow, len(b.chunks))
		for i, ch := range b.chunks {
			j := b.stepJobs[i]
			rows[i] = StepRow{Slot: slices.Index(b.sessions, j.s), Tokens: len(ch.Tokens), Decode: j.next == len(j.ids)}
		}
		fn(rows)
	}
}
