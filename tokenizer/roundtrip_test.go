package tokenizer

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fragments mix what stresses the scanner and the added-token matcher:
// every whitespace and class boundary, contractions, special-token texts and
// their halves, multi-byte characters and bytes that are not UTF-8.
var fragments = []string{
	"a", "Z", "é", "ñ", "한", "글", "日", "😀", "🇰", "0", "7", "½", "٣", "Ⅻ",
	" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u200b", "\v", "\f",
	"'", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "!", "?", ".", "...", "$", "_", "-", "<", ">", "[", "]", "|",
	"[|user|]", "[|endofturn|]", "[|assistant|]", "[|system|]", "[|tool|]", "[BOS]", "[PAD]", "[UNK]",
	"<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_result>", "</tool_result>", "[|", "|]", "<think", "think>",
	"the", " the", "And", " LORD", "hello", " world", "unto",
	"\xff", "\xfe", "\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "\x00", "\x7f",
}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	n := r.IntN(24)
	for range n {
		if r.IntN(8) == 0 {
			b.WriteByte(byte(r.IntN(256)))
		} else {
			b.WriteString(fragments[r.IntN(len(fragments))])
		}
	}
	return b.String()
}

var (
	sharedOnce sync.Once
	shared     *Tokenizer
	sharedErr  error
)

func sharedTok(t testing.TB) *Tokenizer {
	sharedOnce.Do(func() { shared, sharedErr = FromFile(tokDir) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// checkRoundTrip asserts decode(encode(s)) == s both ways of treating
// control tokens, and that streaming decode gives the same text in chunks
// that never split a character of valid input.
func checkRoundTrip(t *testing.T, tk *Tokenizer, s string) {
	for _, ps := range []bool{true, false} {
		ids := tk.Encode(s, ps)
		if got := tk.Decode(ids); got != s {
			t.Fatalf("parseSpecial=%v: Decode(Encode(%q)) = %q (ids %v)", ps, s, got, ids)
		}
		for _, id := range ids {
			if id < 0 || id >= tk.VocabSize() {
				t.Fatalf("Encode(%q) gave id %d outside the vocabulary", s, id)
			}
			if !ps && tk.IsControl(id) {
				t.Fatalf("parseSpecial=false: Encode(%q) gave control token %d", s, id)
			}
		}
		d := tk.NewStreamDecoder()
		var all strings.Builder
		for _, id := range ids {
			chunk := d.Add(id)
			if utf8.ValidString(s) && !utf8.ValidString(chunk) {
				t.Fatalf("stream of %q emitted a partial character: %q", s, chunk)
			}
			all.WriteString(chunk)
		}
		all.WriteString(d.Flush())
		if all.String() != s {
			t.Fatalf("stream decode of %q = %q", s, all.String())
		}
	}
}

func TestRoundTripRandom(t *testing.T) {
	tk := sharedTok(t)
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		checkRoundTrip(t, tk, randomText(r))
	}
	// Arbitrary bytes with no structure at all.
	for range 200 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		checkRoundTrip(t, tk, string(b))
	}
}

func FuzzRoundTrip(f *testing.F) {
	tk := sharedTok(f)
	for _, s := range fragments {
		f.Add(s)
	}
	f.Add("[|user|]\nHi[|endofturn|]\n[|assistant|]\n<think>\n\n</think>\n\n")
	f.Add("don't  \n\n stop\xff\xfe 😀👍🏽")
	f.Fuzz(func(t *testing.T, s string) { checkRoundTrip(t, tk, s) })
}

func TestStreamHoldsPartialCharacters(t *testing.T) {
	tk := sharedTok(t)
	// The Korean reference string is tokenized into single bytes (ids
	// below 300), so characters are split across tokens.
	s := "안녕하세요, 저는 엑사원입니다."
	ids := tk.Encode(s, true)
	d := tk.NewStreamDecoder()
	var chunks []string
	for _, id := range ids {
		if c := d.Add(id); c != "" {
			chunks = append(chunks, c)
		}
	}
	if f := d.Flush(); f != "" {
		t.Errorf("Flush after complete text = %q, want empty", f)
	}
	if strings.Join(chunks, "") != s || len(chunks) < 10 {
		t.Errorf("chunks %q do not rebuild %q incrementally", chunks, s)
	}
	for _, c := range chunks {
		if !utf8.ValidString(c) {
			t.Errorf("chunk %q is not whole characters", c)
		}
	}
	// An unfinished character is held, then flushed as is.
	d = tk.NewStreamDecoder()
	e2, _ := tk.TokenID(ByteLevelEncode([]byte{0xe2}))
	x82, _ := tk.TokenID(ByteLevelEncode([]byte{0x82}))
	if got := d.Add(e2) + d.Add(x82); got != "" {
		t.Errorf("partial euro sign emitted early: %q", got)
	}
	if got := d.Flush(); got != "\xe2\x82" {
		t.Errorf("Flush = %q, want the held bytes", got)
	}
	// A byte that can never start a character is not held back.
	ff, _ := tk.TokenID(ByteLevelEncode([]byte{0xff}))
	if got := d.Add(ff); got != "\xff" {
		t.Errorf("Add(0xff) = %q, want it emitted at once", got)
	}
}

func TestConcurrentEncode(t *testing.T) {
	tk, err := FromFile(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	// Goroutines fill the shared word cache at the same time; every
	// result must still be the reference one.
	r := loadRefs(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 3 * len(r.Strings) {
				s := r.Strings[(k+g*7)%len(r.Strings)]
				if got := tk.Encode(s.Text, true); !slices.Equal(got, s.IDs) {
					t.Errorf("concurrent Encode(%q) = %v, want %v", s.Text, got, s.IDs)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkEncodeEval(b *testing.B) {
	text, err := os.ReadFile(evalPath)
	if err != nil {
		b.Fatal(err)
	}
	s := string(text)
	b.Run("cached", func(b *testing.B) {
		tk := sharedTok(b)
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			tk.Encode(s, true)
		}
	})
	b.Run("cold", func(b *testing.B) {
		// A fresh tokenizer per run: every word goes through BPE once.
		v, err := ReadHF(tokDir)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			b.StopTimer()
			tk, err := New(v, tokDir)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			tk.Encode(s, true)
		}
	})
}

func BenchmarkDecodeEval(b *testing.B) {
	text, err := os.ReadFile(evalPath)
	if err != nil {
		b.Fatal(err)
	}
	tk := sharedTok(b)
	ids := tk.Encode(string(text), true)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tk.Decode(ids)
	}
}

func BenchmarkLongWord(b *testing.B) {
	// One 64 KiB "word": the heap keeps BPE O(n log n).
	s := strings.Repeat("a", 1<<16)
	tk := sharedTok(b)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tk.Encode(s, true)
	}
}
