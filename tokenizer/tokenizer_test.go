package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

const (
	refsPath = "../testdata/tokenizer/tokenizer_refs.json"
	tokDir   = "../testdata/tokenizer"
	evalPath = "../testdata/eval.txt"
)

type refs struct {
	Strings []struct {
		Text    string `json:"text"`
		IDs     []int  `json:"ids"`
		Decoded string `json:"decoded"`
	} `json:"strings"`
	EvalCount    int   `json:"eval_text_token_count"`
	EvalFirstIDs []int `json:"eval_text_first_ids"`
	EvalSum      int   `json:"eval_text_ids_sum"`
}

func loadRefs(t testing.TB) *refs {
	t.Helper()
	b, err := os.ReadFile(refsPath)
	if err != nil {
		t.Fatal(err)
	}
	var r refs
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Strings) == 0 || r.EvalCount == 0 {
		t.Fatal("reference file has no strings or eval data")
	}
	return &r
}

func loadTok(t testing.TB) *Tokenizer {
	t.Helper()
	tk, err := FromFile(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// checkRefs runs every reference string and eval.txt through tk.
func checkRefs(t *testing.T, tk *Tokenizer) {
	r := loadRefs(t)
	for _, s := range r.Strings {
		got := tk.Encode(s.Text, true)
		if !slices.Equal(got, s.IDs) {
			t.Errorf("Encode(%q)\n got %v\nwant %v", s.Text, got, s.IDs)
		}
		if d := tk.Decode(s.IDs); d != s.Decoded {
			t.Errorf("Decode(ids of %q) = %q, want %q", s.Text, d, s.Decoded)
		}
	}
	eval, err := os.ReadFile(evalPath)
	if err != nil {
		t.Fatal(err)
	}
	ids := tk.Encode(string(eval), true)
	if len(ids) != r.EvalCount {
		t.Errorf("eval.txt: %d tokens, want %d", len(ids), r.EvalCount)
	}
	n := min(len(ids), len(r.EvalFirstIDs))
	for i := range n {
		if ids[i] != r.EvalFirstIDs[i] {
			t.Errorf("eval.txt: token %d is %d, want %d (first difference)", i, ids[i], r.EvalFirstIDs[i])
			break
		}
	}
	if len(r.EvalFirstIDs) != 2000 || n != 2000 {
		t.Errorf("eval.txt: compared %d of %d reference ids, want 2000", n, len(r.EvalFirstIDs))
	}
	sum := 0
	for _, id := range ids {
		sum += id
	}
	if sum != r.EvalSum {
		t.Errorf("eval.txt: id sum %d, want %d", sum, r.EvalSum)
	}
	if d := tk.Decode(ids); d != string(eval) {
		t.Errorf("eval.txt does not round-trip")
	}
}

func TestReferenceJSON(t *testing.T) { checkRefs(t, loadTok(t)) }

func TestSpecialIDs(t *testing.T) {
	tk := loadTok(t)
	want := map[string]int{"[BOS]": tk.BOS(), "[|endofturn|]": tk.EOS(), "[PAD]": tk.PAD()}
	for text, got := range want {
		id, ok := tk.TokenID(text)
		if !ok || id != got {
			t.Errorf("special %q: TokenID = %d,%v, accessor = %d", text, id, ok, got)
		}
		if !tk.IsControl(id) {
			t.Errorf("%q (id %d) is not a control token", text, id)
		}
	}
	if tk.UNK() < 0 || tk.TokenText(tk.UNK()) != "[UNK]" {
		t.Errorf("UNK = %d (%q), want [UNK]", tk.UNK(), tk.TokenText(tk.UNK()))
	}
	if tk.VocabSize() != 8192 || tk.AddBOS() {
		t.Errorf("VocabSize %d AddBOS %v, want 8192 false", tk.VocabSize(), tk.AddBOS())
	}
	if id, _ := tk.TokenID("Ġthe"); tk.IsControl(id) || string(tk.TokenBytes(id)) != " the" {
		t.Errorf("TokenBytes(Ġthe) = %q, control %v", tk.TokenBytes(id), tk.IsControl(id))
	}
	tmpl, err := os.ReadFile(tokDir + "/chat_template.jinja")
	if err != nil {
		t.Fatal(err)
	}
	if tk.ChatTemplate() != string(tmpl) {
		t.Errorf("chat template not loaded from chat_template.jinja")
	}
}

func TestParseSpecialOff(t *testing.T) {
	tk := loadTok(t)
	text := "[|user|]\nHi[|endofturn|]"
	on := tk.Encode(text, true)
	off := tk.Encode(text, false)
	eot := tk.EOS()
	if !slices.Contains(on, eot) {
		t.Fatalf("parseSpecial=true: %v lacks EOS %d", on, eot)
	}
	for _, id := range off {
		if tk.IsControl(id) {
			t.Fatalf("parseSpecial=false produced control token %d in %v", id, off)
		}
	}
	if tk.Decode(off) != text {
		t.Errorf("parseSpecial=false does not round-trip: %q", tk.Decode(off))
	}
	// As plain text, "[|user|]" is split like any other symbols/letters.
	if want := append(tk.Encode("[|", true), tk.Encode("user|]", true)...); !slices.Equal(tk.Encode("[|user|]", false), want) {
		t.Errorf("Encode([|user|], false) = %v, want %v", tk.Encode("[|user|]", false), want)
	}
}
