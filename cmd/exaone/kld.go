package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/x448/float16"
)

// The KL-divergence base file: full log-probability rows, so the
// divergence is exact over the whole vocabulary (a top-k summary would
// not be). Little-endian:
//
//	magic    [8]byte "EXKLD\x00\x00\x02"
//	vocab, nCtx, nChunk, scored uint32 (scored = positions per chunk)
//	tokens   [nChunk*nCtx]int32
//	rows     [nChunk*scored]{top int32; logp [vocab]float16}
//
// f16 keeps every probability that matters to ~0.1% (log-probs near 0 have
// the finest steps) at half the size of f32: 8192 x 2 bytes per position.
// top is the most likely token from the unrounded logits: rounding can tie
// near-equal leaders, and agreement must not depend on how ties break.
var kldMagic = [8]byte{'E', 'X', 'K', 'L', 'D', 0, 0, 2}

const kldHeader = 8 + 4*4

type kldWriter struct {
	f    *os.File
	w    *bufio.Writer
	path string
	buf  []byte
	done bool
}

func createKLD(path string, vocab, nCtx, nChunk, scored int, tokens []int) (*kldWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("kl-divergence-base: %w", err)
	}
	k := &kldWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), path: path, buf: make([]byte, 4+2*vocab)}
	hdr := make([]byte, 0, kldHeader+4*len(tokens))
	hdr = append(hdr, kldMagic[:]...)
	for _, v := range []int{vocab, nCtx, nChunk, scored} {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(v))
	}
	for _, t := range tokens {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(int32(t)))
	}
	if _, err := k.w.Write(hdr); err != nil {
		k.Abort()
		return nil, fmt.Errorf("kl-divergence-base: %w", err)
	}
	return k, nil
}

func (k *kldWriter) writeRow(logits []float32, logp []float64) error {
	binary.LittleEndian.PutUint32(k.buf, uint32(argmax(logits)))
	for i, v := range logp {
		binary.LittleEndian.PutUint16(k.buf[4+2*i:], float16.Fromfloat32(float32(v)).Bits())
	}
	if _, err := k.w.Write(k.buf); err != nil {
		return fmt.Errorf("kl-divergence-base: %w", err)
	}
	return nil
}

// Close finishes the file and moves it into place.
func (k *kldWriter) Close() error {
	err := k.w.Flush()
	if err == nil {
		err = k.f.Chmod(0o644) // CreateTemp's 0600 is for the unfinished file
	}
	if cerr := k.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(k.f.Name(), k.path)
	}
	if err != nil {
		os.Remove(k.f.Name())
		return fmt.Errorf("kl-divergence-base: %w", err)
	}
	k.done = true
	return nil
}

// Abort removes an unfinished file; after Close it does nothing.
func (k *kldWriter) Abort() {
	if !k.done {
		k.done = true
		k.f.Close()
		os.Remove(k.f.Name())
	}
}

type kldReader struct {
	f                           *os.File
	r                           *bufio.Reader
	path                        string
	vocab, nCtx, nChunk, scored int
	tokens                      []int
	buf                         []byte
}

func openKLD(path string) (*kldReader, error) {
	if err := checkInputFile(path, "kl-divergence-base", false); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kl-divergence-base: %w", err)
	}
	k := &kldReader{f: f, r: bufio.NewReaderSize(f, 1<<20), path: path}
	fail := func(format string, a ...any) (*kldReader, error) {
		f.Close()
		return nil, fmt.Errorf("kl-divergence-base: %s: "+format, append([]any{path}, a...)...)
	}
	var hdr [kldHeader]byte
	if _, err := io.ReadFull(k.r, hdr[:]); err != nil || [8]byte(hdr[:8]) != kldMagic {
		return fail("not a file written by --kl-divergence-base")
	}
	v := func(i int) int { return int(binary.LittleEndian.Uint32(hdr[8+4*i:])) }
	k.vocab, k.nCtx, k.nChunk, k.scored = v(0), v(1), v(2), v(3)
	st, err := f.Stat()
	if err != nil {
		return fail("%v", err)
	}
	if k.vocab <= 0 || k.nCtx < 8 || k.nChunk <= 0 || k.scored != k.nCtx-1-k.nCtx/2 ||
		st.Size() != int64(kldHeader)+4*int64(k.nChunk)*int64(k.nCtx)+(4+2*int64(k.vocab))*int64(k.nChunk)*int64(k.scored) {
		return fail("inconsistent header or truncated file")
	}
	raw := make([]byte, 4*k.nChunk*k.nCtx)
	if _, err := io.ReadFull(k.r, raw); err != nil {
		return fail("%v", err)
	}
	k.tokens = make([]int, k.nChunk*k.nCtx)
	for i := range k.tokens {
		k.tokens[i] = int(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		if k.tokens[i] < 0 || k.tokens[i] >= k.vocab {
			return fail("token %d out of range", k.tokens[i])
		}
	}
	k.buf = make([]byte, 4+2*k.vocab)
	return k, nil
}

// readRow reads the next position's log-probabilities, renormalised: f16
// rounding leaves their sum slightly off 1, which would bias the KLD.
func (k *kldReader) readRow(dst []float64) (top int, err error) {
	if _, err := io.ReadFull(k.r, k.buf); err != nil {
		return 0, fmt.Errorf("kl-divergence-base: %s: %w", k.path, err)
	}
	top = int(binary.LittleEndian.Uint32(k.buf))
	if top >= k.vocab {
		return 0, fmt.Errorf("kl-divergence-base: %s: top token %d out of range", k.path, top)
	}
	mx := math.Inf(-1)
	for i := range dst {
		dst[i] = float64(float16.Frombits(binary.LittleEndian.Uint16(k.buf[4+2*i:])).Float32())
		mx = max(mx, dst[i])
	}
	var sum float64
	for _, v := range dst {
		sum += math.Exp(v - mx)
	}
	lse := mx + math.Log(sum)
	for i := range dst {
		dst[i] -= lse
	}
	return top, nil
}

func (k *kldReader) Close() { k.f.Close() }

// kldStats accumulates the comparison of a model (Q) with the base, per
// scored token, as llama-perplexity reports it.
type kldStats struct {
	n         int
	q, b      nllStats // NLL of Q and of the base
	sumQB     float64  // for the correlation of the NLLs
	diff      nllStats // NLL(Q) - NLL(base) = ln of the PPL ratio
	kld       nllStats
	dp        nllStats // p_Q(token) - p_base(token)
	same      int      // positions where both rank the same token first
	dp4       float64  // sum of dp^4, for the error of RMS dp
	klds, dps []float64
}

func newKLDStats(capacity int) *kldStats {
	return &kldStats{klds: make([]float64, 0, capacity), dps: make([]float64, 0, capacity)}
}

func (s *kldStats) add(base []float64, baseTop int, logits []float32, q []float64, target int) {
	var kl float64
	for i, lb := range base {
		if lb > math.Inf(-1) {
			kl += math.Exp(lb) * (lb - q[i])
		}
	}
	nq, nb := -q[target], -base[target]
	dp := math.Exp(q[target]) - math.Exp(base[target])
	s.n++
	s.q.add(nq)
	s.b.add(nb)
	s.sumQB += nq * nb
	s.diff.add(nq - nb)
	s.kld.add(kl)
	s.dp.add(dp)
	s.dp4 += dp * dp * dp * dp
	if argmax(logits) == baseTop {
		s.same++
	}
	s.klds = append(s.klds, kl)
	s.dps = append(s.dps, dp)
}

// printChunk prints the running values after chunk c, like
// llama-perplexity's KL-divergence table.
func (s *kldStats) printChunk(w io.Writer, c int, _ *nllStats) {
	ppl, pplErr := s.q.ppl()
	p := float64(s.same) / float64(s.n)
	fmt.Fprintf(w, "%4d %10.4f ± %10.4f %10.5f ± %10.5f %10.6f ± %10.6f %6.3f ± %6.3f %% %8.3f ± %6.3f %%\n",
		c, ppl, pplErr,
		s.diff.mean(), stderrOf(s.diff.n, s.diff.sum, s.diff.sum2),
		s.kld.mean(), stderrOf(s.kld.n, s.kld.sum, s.kld.sum2),
		100*math.Sqrt(s.dp.sum2/float64(s.n)), 100*s.rmsErr(),
		100*p, 100*math.Sqrt(p*(1-p)/float64(max(s.n-1, 1))))
}

// rmsErr is the standard error of RMS dp: that of mean(dp^2), from the
// spread of dp^2, through d sqrt(x)/dx = 1/(2 sqrt(x)).
func (s *kldStats) rmsErr() float64 {
	ms := s.dp.sum2 / float64(s.n)
	if s.n < 2 || ms <= 0 {
		return 0
	}
	return stderrOf(s.n, s.dp.sum2, s.dp4) / (2 * math.Sqrt(ms))
}

func (s *kldStats) printFinal(w io.Writer, _ *nllStats) {
	n := float64(s.n)
	pq, pqErr := s.q.ppl()
	pb, pbErr := s.b.ppl()
	mq, mb := s.q.mean(), s.b.mean()
	cov := s.sumQB/n - mq*mb
	vq, vb := s.q.sum2/n-mq*mq, s.b.sum2/n-mb*mb
	cor := 0.0
	if vq > 0 && vb > 0 {
		cor = cov / math.Sqrt(vq*vb)
	}
	lr, lrErr := s.diff.mean(), stderrOf(s.diff.n, s.diff.sum, s.diff.sum2)
	// PPL(Q)-PPL(base) by propagating the NLL errors with their covariance.
	dVar := (pq*pq*vq + pb*pb*vb - 2*pq*pb*cov) / max(n-1, 1)
	fmt.Fprintf(w, "====== Perplexity statistics ======\n")
	fmt.Fprintf(w, "Mean PPL(Q)                   : %10.6f ± %10.6f\n", pq, pqErr)
	fmt.Fprintf(w, "Mean PPL(base)                : %10.6f ± %10.6f\n", pb, pbErr)
	fmt.Fprintf(w, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100*cor)
	fmt.Fprintf(w, "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", lr, lrErr)
	fmt.Fprintf(w, "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", math.Exp(lr), math.Exp(lr)*lrErr)
	fmt.Fprintf(w, "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n", pq-pb, math.Sqrt(max(dVar, 0)))
	fmt.Fprintf(w, "\n====== KL divergence statistics ======\n")
	fmt.Fprintf(w, "Mean    KLD: %10.6f ± %10.6f\n", s.kld.mean(), stderrOf(s.kld.n, s.kld.sum, s.kld.sum2))
	k := slices.Clone(s.klds)
	slices.Sort(k)
	fmt.Fprintf(w, "Maximum KLD: %10.6f\n", k[len(k)-1])
	for _, q := range []float64{99.9, 99.0, 95.0, 90.0} {
		fmt.Fprintf(w, "%4.1f%%   KLD: %10.6f\n", q, quantile(k, q/100))
	}
	fmt.Fprintf(w, "Median  KLD: %10.6f\n", quantile(k, 0.5))
	for _, q := range []float64{10.0, 5.0, 1.0} {
		fmt.Fprintf(w, "%4.1f%%   KLD: %10.6f\n", q, quantile(k, q/100))
	}
	fmt.Fprintf(w, "Minimum KLD: %10.6f\n", k[0])
	fmt.Fprintf(w, "\n====== Token probability statistics ======\n")
	fmt.Fprintf(w, "Mean    Δp: %6.3f ± %5.3f %%\n", 100*s.dp.mean(), 100*stderrOf(s.dp.n, s.dp.sum, s.dp.sum2))
	d := slices.Clone(s.dps)
	slices.Sort(d)
	fmt.Fprintf(w, "Maximum Δp: %6.3f%%\n", 100*d[len(d)-1])
	for _, q := range []float64{99.9, 99.0, 95.0, 90.0, 75.0} {
		fmt.Fprintf(w, "%4.1f%%   Δp: %6.3f%%\n", q, 100*quantile(d, q/100))
	}
	fmt.Fprintf(w, "Median  Δp: %6.3f%%\n", 100*quantile(d, 0.5))
	for _, q := range []float64{25.0, 10.0, 5.0, 1.0, 0.1} {
		fmt.Fprintf(w, "%4.1f%%   Δp: %6.3f%%\n", q, 100*quantile(d, q/100))
	}
	fmt.Fprintf(w, "Minimum Δp: %6.3f%%\n", 100*d[0])
	fmt.Fprintf(w, "RMS Δp    : %6.3f ± %5.3f %%\n", 100*math.Sqrt(s.dp.sum2/n), 100*s.rmsErr())
	p := float64(s.same) / n
	fmt.Fprintf(w, "Same top p: %6.3f ± %5.3f %%\n", 100*p, 100*math.Sqrt(p*(1-p)/max(n-1, 1)))
}

// quantile of sorted values, by linear interpolation between ranks.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	x := q * float64(len(sorted)-1)
	i := int(x)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := x - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// argmax is the first index of the largest logit.
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
