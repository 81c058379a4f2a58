// Package tokenizer implements the byte-level BPE tokenizer of EXAONE 4.0
// (GPT-2 style), producing the same ids as the Hugging Face `tokenizers`
// library. It loads from a Hugging Face tokenizer.json (FromFile) or from the
// tokenizer.ggml.* keys of a GGUF file (FromGGUF); both go through HFVocab,
// the same data the converter writes, so the two loaders agree by
// construction.
//
// Encoding: added tokens written in the text are matched first (leftmost,
// then longest), the rest is split by the GPT-2 pattern and each piece is
// merged by BPE rank. Text is any byte string: invalid UTF-8 is encoded byte
// by byte, and Decode(Encode(s)) == s holds for every s (given a vocabulary
// with all 256 byte tokens, as byte-level BPE has).
//
// Limits: only byte-level BPE with the GPT-2 split (what EXAONE 4 uses);
// other tokenizer.json pipelines are refused with an error. The lstrip,
// rstrip and single_word options of added tokens are not applied (GGUF
// cannot carry them, and EXAONE's added tokens do not set them).
//
// A Tokenizer is safe for concurrent use.
package tokenizer

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Token types, as in GGUF's tokenizer.ggml.token_type.
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3 // special added tokens ([BOS], [|endofturn|] ...)
	TypeUserDefined = 4 // non-special added tokens
	TypeUnused      = 5
	TypeByte        = 6
)

// Tokenizer encodes text to token ids and back.
type Tokenizer struct {
	tokens []string // as stored: byte-level form, added tokens verbatim
	types  []int32
	pieces [][]byte // raw bytes per id
	vocab  map[string]int

	merges map[uint64]merge
	byteID [256]int32 // token of each single byte, -1 if none
	long   longInfo   // for words longer than longWindow

	// Added tokens, by first byte, longest first.
	added [256][]addedToken

	bos, eos, pad, unk int
	addBOS             bool
	template           string

	// cache maps recent words to their ids: a direct-mapped table of
	// atomic pointers, so concurrent Encodes share it without locks and
	// its size is bounded (a colliding word just replaces the entry).
	cache     []atomic.Pointer[cacheEntry]
	seed      maphash.Seed
	scratches sync.Pool
}

type cacheEntry struct {
	word string
	ids  []int32
}

type addedToken struct {
	text    string
	id      int
	control bool
}

const (
	cacheSlots    = 1 << 15 // power of two
	maxCachedWord = 64
)

// New builds a tokenizer from a vocabulary, whatever file it came from.
// source names that file in errors.
func New(v *HFVocab, source string) (*Tokenizer, error) {
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("%s: empty vocabulary", source)
	}
	if len(v.Types) != 0 && len(v.Types) != n {
		return nil, fmt.Errorf("%s: %d token types for %d tokens", source, len(v.Types), n)
	}
	t := &Tokenizer{
		tokens:   v.Tokens,
		types:    make([]int32, n),
		pieces:   make([][]byte, n),
		vocab:    make(map[string]int, n),
		merges:   make(map[uint64]merge, len(v.Merges)),
		bos:      v.BOS,
		eos:      v.EOS,
		pad:      v.PAD,
		unk:      v.UNK,
		addBOS:   v.AddBOS,
		template: v.ChatTemplate,
		cache:    make([]atomic.Pointer[cacheEntry], cacheSlots),
		seed:     maphash.MakeSeed(),
	}
	t.scratches.New = func() any { return new(bpeScratch) }
	for _, sp := range []struct {
		name string
		id   int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"pad", v.PAD}, {"unk", v.UNK}} {
		if sp.id < -1 || sp.id >= n {
			return nil, fmt.Errorf("%s: %s token id %d outside the vocabulary of %d", source, sp.name, sp.id, n)
		}
	}
	var addedList []addedToken
	for id, tok := range v.Tokens {
		typ := int32(TypeNormal)
		if len(v.Types) != 0 {
			typ = v.Types[id]
		}
		t.types[id] = typ
		// On a repeated text the first id wins, except that an added
		// token wins over a normal one: TokenID("[|endofturn|]") must
		// give the control token.
		if prev, dup := t.vocab[tok]; !dup || (isAdded(typ) && !isAdded(t.types[prev])) {
			t.vocab[tok] = id
		}
		if isAdded(typ) {
			// Added tokens are stored verbatim, not in byte-level form.
			t.pieces[id] = []byte(tok)
			if tok != "" {
				addedList = append(addedList, addedToken{tok, id, typ == TypeControl})
			}
		} else {
			t.pieces[id] = ByteLevelDecode(tok)
		}
	}
	sort.SliceStable(addedList, func(i, j int) bool { return len(addedList[i].text) > len(addedList[j].text) })
	for _, a := range addedList {
		t.added[a.text[0]] = append(t.added[a.text[0]], a)
	}
	for b := range 256 {
		t.byteID[b] = -1
		if id, ok := t.vocab[string(byteToRune[b])]; ok {
			t.byteID[b] = int32(id)
		} else if t.unk >= 0 {
			t.byteID[b] = int32(t.unk)
		}
	}
	for rank, m := range v.Merges {
		l, r, ok := strings.Cut(m, " ")
		if !ok {
			return nil, fmt.Errorf("%s: merge %d %q is not \"left right\"", source, rank, m)
		}
		li, lok := t.vocab[l]
		ri, rok := t.vocab[r]
		mi, mok := t.vocab[l+r]
		if !lok || !rok || !mok {
			return nil, fmt.Errorf("%s: merge %d %q uses a token missing from the vocabulary", source, rank, m)
		}
		k := pairKey(int32(li), int32(ri))
		// A repeated pair takes its last rank, as in `tokenizers`.
		t.merges[k] = merge{rank: int32(rank), id: int32(mi)}
	}
	t.initLong()
	return t, nil
}

func isAdded(typ int32) bool { return typ == TypeControl || typ == TypeUserDefined }

// Encode returns the token ids of text, without BOS. With parseSpecial,
// control tokens written in the text (e.g. "[|endofturn|]") become their ids;
// without it they are tokenized as plain text. User-defined added tokens are
// matched either way, as llama.cpp does.
func (t *Tokenizer) Encode(text string, parseSpecial bool) []int {
	out := make([]int, 0, len(text)/3+1)
	sc := t.scratches.Get().(*bpeScratch)
	defer t.scratches.Put(sc)
	start := 0
	for i := 0; i < len(text); i++ {
		cands := t.added[text[i]]
		if len(cands) == 0 {
			continue
		}
		for _, a := range cands {
			if (!a.control || parseSpecial) && strings.HasPrefix(text[i:], a.text) {
				out = t.encodePlain(text[start:i], sc, out)
				out = append(out, a.id)
				i += len(a.text) - 1
				start = i + 1
				break
			}
		}
	}
	return t.encodePlain(text[start:], sc, out)
}

// encodePlain encodes text that holds no added tokens.
func (t *Tokenizer) encodePlain(text string, sc *bpeScratch, out []int) []int {
	for i := 0; i < len(text); {
		j := pieceEnd(text, i)
		out = t.encodeWord(text[i:j], sc, out)
		i = j
	}
	return out
}

func (t *Tokenizer) encodeWord(w string, sc *bpeScratch, out []int) []int {
	if len(w) == 1 {
		if id := t.byteID[w[0]]; id >= 0 {
			out = append(out, int(id))
		}
		return out
	}
	if len(w) > longWindow && t.long.ok {
		return t.bpeLong(w, longWindow, sc, out)
	}
	if len(w) > maxCachedWord {
		return t.bpe(w, sc, out)
	}
	slot := &t.cache[maphash.String(t.seed, w)&(cacheSlots-1)]
	if e := slot.Load(); e != nil && e.word == w {
		for _, id := range e.ids {
			out = append(out, int(id))
		}
		return out
	}
	n := len(out)
	out = t.bpe(w, sc, out)
	ids := make([]int32, len(out)-n)
	for i, id := range out[n:] {
		ids[i] = int32(id)
	}
	slot.Store(&cacheEntry{word: strings.Clone(w), ids: ids})
	return out
}

// Decode returns the text of ids: the raw bytes of each token concatenated
// (not repaired if a cut leaves invalid UTF-8). Ids outside the vocabulary
// are skipped.
func (t *Tokenizer) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 0 && id < len(t.pieces) {
			b.Write(t.pieces[id])
		}
	}
	return b.String()
}

// TokenBytes returns the raw bytes of a token (nil for an unknown id). The
// slice is shared: do not modify it.
func (t *Tokenizer) TokenBytes(id int) []byte {
	if id < 0 || id >= len(t.pieces) {
		return nil
	}
	return t.pieces[id]
}

// TokenText returns a token as stored in the vocabulary (byte-level form,
// e.g. "Ġthe"; added tokens verbatim).
func (t *Tokenizer) TokenText(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// TokenID looks a token up by its stored text (see TokenText).
func (t *Tokenizer) TokenID(text string) (int, bool) {
	id, ok := t.vocab[text]
	return id, ok
}

// VocabSize is the number of token ids.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// BOS, EOS, PAD and UNK return the special token ids named by the file, or -1.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS is the end-of-turn token generation stops on, or -1.
func (t *Tokenizer) EOS() int { return t.eos }

// PAD is the padding token id, or -1.
func (t *Tokenizer) PAD() int { return t.pad }

// UNK is the unknown token id, or -1.
func (t *Tokenizer) UNK() int { return t.unk }

// AddBOS reports whether the model wants BOS prepended (false for EXAONE 4).
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// TokenType returns the GGUF token type of id (0 for an unknown id).
func (t *Tokenizer) TokenType(id int) int {
	if id < 0 || id >= len(t.types) {
		return 0
	}
	return int(t.types[id])
}

// IsControl reports whether id is a control (special) token, which a chat
// front end usually hides from the user.
func (t *Tokenizer) IsControl(id int) bool { return t.TokenType(id) == TypeControl }

// ChatTemplate returns the Jinja chat template stored with the tokenizer.
func (t *Tokenizer) ChatTemplate() string { return t.template }
