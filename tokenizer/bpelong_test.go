package tokenizer

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// checkWindows compares the windowed merge of word with bpe over the whole
// word, the algorithm every word took before windows existed.
func checkWindows(t *testing.T, tk *Tokenizer, word string, windows ...int) {
	t.Helper()
	var sc bpeScratch
	want := tk.bpe(word, &sc, nil)
	for _, w := range windows {
		got := tk.bpeLong(word, w, &sc, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("window %d, word %q (%d bytes):\n got %v\nwant %v", w, clipWord(word), len(word), got, want)
		}
	}
}

func clipWord(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// TestLongWordWindows: windows of any size give the whole-word ids, on
// runs of one letter, random strings over small alphabets (where merges
// compete most) and slices of real text.
func TestLongWordWindows(t *testing.T) {
	tk := loadTok(t)
	if !tk.long.ok {
		t.Fatal("the test vocabulary does not allow windows; the comparisons below would test nothing")
	}
	windows := []int{1, 2, 3, 5, 8, 13, 64, 333}
	for _, c := range []string{"a", "e", "s", "z", "0", "!", " ", "\n", "é", "\xff", "ab", "the"} {
		checkWindows(t, tk, strings.Repeat(c, 1001), windows...)
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"ab", "aeiou", "thes", "etaoinshrdlu", "abcdefghijklmnopqrstuvwxyz", "aA0 .", "\x00\x80\xc3\xa9"}
	for i := range 600 {
		al := alphabets[i%len(alphabets)]
		b := make([]byte, 1+r.IntN(700))
		for j := range b {
			b[j] = al[r.IntN(len(al))]
		}
		checkWindows(t, tk, string(b), windows...)
	}
	text, err := os.ReadFile(evalPath)
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		i := r.IntN(len(text) - 3000)
		checkWindows(t, tk, string(text[i:i+1+r.IntN(3000)]), windows...)
	}
}

// chainVocab is a vocabulary where the pair to the right always ranks
// lower, so whether "a b" merges depends on the parity of the distance to
// the end of the word: the worst case for windows.
func chainVocab(t *testing.T, monotone bool) *Tokenizer {
	v := &HFVocab{BOS: -1, EOS: -1, PAD: -1, UNK: -1}
	for b := range 256 {
		v.Tokens = append(v.Tokens, string(byteToRune[b]))
	}
	letters := "abcdefgh"
	for i := len(letters) - 2; i >= 0; i-- {
		v.Merges = append(v.Merges, letters[i:i+1]+" "+letters[i+1:i+2])
		v.Tokens = append(v.Tokens, letters[i:i+2])
	}
	v.Merges = append(v.Merges, "h a")
	v.Tokens = append(v.Tokens, "ha")
	// Products merging further, ranked after what makes them.
	v.Merges = append(v.Merges, "ab cd", "gh ab")
	v.Tokens = append(v.Tokens, "abcd", "ghab")
	if !monotone {
		// "ab" is made at rank 6 but used by a merge of rank 0.
		v.Merges = append([]string{"ab ab"}, v.Merges...)
		v.Tokens = append(v.Tokens, "abab")
	}
	tk, err := New(v, "chain")
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestLongWordWindowsChains(t *testing.T) {
	tk := chainVocab(t, true)
	if !tk.long.ok {
		t.Fatal("monotone chain vocabulary refused windows")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 200; n++ {
		checkWindows(t, tk, strings.Repeat("abcdefgh", n)[:n*3], 1, 2, 3, 4, 7, 16)
		b := make([]byte, n*5)
		for j := range b {
			b[j] = "abcdefgh"[r.IntN(8)]
		}
		checkWindows(t, tk, string(b), 1, 2, 3, 4, 7, 16)
	}
	if chainVocab(t, false).long.ok {
		t.Error("windows allowed although a merge uses a token made by a later one")
	}
}

// TestLongWordMemory: a text of one letter is one word; its merge buffers
// stay bounded, so encoding 8 MB allocates less than 8 bytes per input
// byte in all (the ids themselves take 4), where whole-word merging took
// over 100.
func TestLongWordMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("8 MB encode")
	}
	tk := loadTok(t)
	want := tk.Encode(strings.Repeat("a", 1000), false)
	s := strings.Repeat("a", 8<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ids := tk.Encode(s, false)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d ids, %.2f bytes allocated per input byte", len(ids), float64(alloc)/float64(len(s)))
	if alloc >= 8*uint64(len(s)) {
		t.Errorf("encoding %d bytes allocated %d bytes (%.1f per byte)", len(s), alloc, float64(alloc)/float64(len(s)))
	}
	// Whole-word merging turns 1000 letters into 500 equal ids (pairs), so
	// 8 Mi letters must give 4 Mi of that id.
	if len(want) != 500 || slices.ContainsFunc(want, func(id int) bool { return id != want[0] }) {
		t.Fatalf("1000 letters give %v", want)
	}
	if len(ids) != len(s)/2 || slices.ContainsFunc(ids, func(id int) bool { return id != want[0] }) {
		t.Errorf("%d ids, want %d of id %d", len(ids), len(s)/2, want[0])
	}
}

func BenchmarkPathologicalWord(b *testing.B) {
	s := strings.Repeat("a", 4<<20)
	tk := sharedTok(b)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tk.Encode(s, true)
	}
}
