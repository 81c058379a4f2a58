package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMeanSD(t *testing.T) {
	m, s := meanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || math.Abs(s-2.138089935) > 1e-6 {
		t.Errorf("meanSD: %v ± %v, want 5 ± 2.138 (sample sd)", m, s)
	}
	if m, s := meanSD([]float64{3}); m != 3 || s != 0 {
		t.Errorf("one value: %v ± %v", m, s)
	}
	if m, _ := meanSD(nil); !math.IsNaN(m) {
		t.Errorf("no values: %v, want NaN", m)
	}
}

func TestPercentile(t *testing.T) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(100 - i) // 100..1, unsorted on purpose
	}
	for _, c := range []struct{ q, want float64 }{{50, 50}, {99, 99}, {100, 100}, {1, 1}, {0.1, 1}} {
		if got := percentile(v, c.q); got != c.want {
			t.Errorf("p%v = %v, want %v", c.q, got, c.want)
		}
	}
	if v[0] != 100 {
		t.Error("percentile sorted its argument")
	}
	if got := percentile([]float64{7}, 99); got != 7 {
		t.Errorf("p99 of one value: %v", got)
	}
}

func TestParseTests(t *testing.T) {
	got, err := parseTests("pp512, tg128,tg128@d4096")
	if err != nil {
		t.Fatal(err)
	}
	want := []testSpec{{"pp512", 512, 0, 0}, {"tg128", 0, 128, 0}, {"tg128 @ d4096", 0, 128, 4096}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("test %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"pp", "xx12", "tg0", "", "pp512@4096"} {
		if _, err := parseTests(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseInts(t *testing.T) {
	if l, err := parseInts("npl", "1,2 4,8"); err != nil || len(l) != 4 || l[3] != 8 {
		t.Errorf("%v %v", l, err)
	}
	for _, bad := range []string{"", "0", "1,x", "-2"} {
		if _, err := parseInts("npl", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// llama-bench -o json (log lines may come first) and exaone bench -o json.
func TestParseBenchJSON(t *testing.T) {
	out := `load_backend: loaded CPU backend
[
  {
    "build_commit": "d32676d",
    "build_number": 9749,
    "n_prompt": 0,
    "n_gen": 128,
    "n_depth": 0,
    "avg_ts": 29.4,
    "stddev_ts": 0.5,
    "samples_ts": [29.0, 29.8]
  }
]`
	rows, err := parseBenchJSON([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.NGen != 128 || r.BuildNumber != 9749 || len(r.SamplesTs) != 2 || r.SamplesTs[1] != 29.8 {
		t.Errorf("%+v", r)
	}
	ours := `[{"n_prompt":128,"n_gen":64,"n_parallel":4,"avg_ts":80.5,"samples_ts":[80,81],"speed_pp":300,"samples_pp_ts":[299,301],"backends":"CPU avx512"}]`
	rows, err = parseBenchJSON([]byte(ours))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.NParallel != 4 || len(r.SamplesPPTs) != 2 || r.Backends != "CPU avx512" {
		t.Errorf("%+v", r)
	}
	for _, bad := range []string{"", "error: no model", "[]", "[{"} {
		if _, err := parseBenchJSON([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseBatchedJSONL(t *testing.T) {
	out := `main: n_kv_max = 1024
{"n_kv_max": 1024, "n_batch": 2048, "pp": 128, "tg": 64, "pl": 4, "n_kv": 768, "t_pp": 2.1, "speed_pp": 243.8, "t_tg": 11.2, "speed_tg": 22.9, "t": 13.3, "speed": 57.7}
{"n_kv_max": 1024, "n_batch": 2048, "pp": 128, "tg": 64, "pl": 4, "n_kv": 768, "t_pp": 2.0, "speed_pp": 250.0, "t_tg": 11.0, "speed_tg": 23.1, "t": 13.0, "speed": 59.0}

llama_perf_context_print: total time = 30000 ms`
	rows, err := parseBatchedJSONL([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].PL != 4 || rows[1].SpeedTG != 23.1 || rows[0].SpeedPP != 243.8 {
		t.Errorf("%+v", rows)
	}
	if _, err := parseBatchedJSONL([]byte("no rows\n")); err == nil {
		t.Error("no error without rows")
	}
}

// A stream as both servers send it: a chunk per token (empty text
// included), a finishing chunk with the usage, [DONE].
func TestReadSSE(t *testing.T) {
	sse := strings.Join([]string{
		`data: {"choices":[{"text":"a","index":0,"finish_reason":null}]}`, ``,
		`data: {"choices":[{"text":"","index":0,"finish_reason":null}]}`, ``,
		`data: {"choices":[{"text":"b","index":0,"finish_reason":null}]}`, ``,
		`data: {"choices":[{"text":"","index":0,"finish_reason":"length"}],"usage":{"completion_tokens":3}}`, ``,
		`data: [DONE]`, ``,
	}, "\n")
	var clock time.Duration
	// Each line read advances the clock by 1 ms.
	now := func() time.Duration { clock += time.Millisecond; return clock }
	r, err := readSSE(strings.NewReader(sse), now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Tokens != 3 || len(r.Gaps) != 2 || r.Gaps[0] != 2*time.Millisecond || r.First != time.Millisecond || r.End != 9*time.Millisecond {
		t.Errorf("%+v", r)
	}
	// Without usage the token chunks are counted.
	noUsage := strings.Replace(sse, `,"usage":{"completion_tokens":3}`, "", 1)
	if r, err := readSSE(strings.NewReader(noUsage), now); err != nil || r.Tokens != 3 {
		t.Errorf("no usage: %+v %v", r, err)
	}
	bad := map[string]string{
		"error event": `data: {"error":{"message":"boom"}}` + "\n",
		"not json":    "data: {nope\n",
		"no tokens":   "data: [DONE]\n",
	}
	for name, s := range bad {
		if _, err := readSSE(strings.NewReader(s), now); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUpdateReadme(t *testing.T) {
	p := filepath.Join(t.TempDir(), "README.md")
	os.WriteFile(p, []byte("# x\n\n"+readmeBegin+"old table\n"+readmeEnd+"after\n"), 0o644)
	if err := updateReadme(p, "new table\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if want := "# x\n\n" + readmeBegin + "new table\n" + readmeEnd + "after\n"; string(b) != want {
		t.Errorf("got %q", b)
	}
	// Without the markers the file is left alone.
	os.WriteFile(p, []byte("plain\n"), 0o644)
	logTo = new(strings.Builder)
	if err := updateReadme(p, "new\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "plain\n" {
		t.Errorf("changed a README without markers: %q", b)
	}
}

func TestParseConfig(t *testing.T) {
	t.Setenv("TYPES", "q8_0")
	t.Setenv("REPS", "2")
	cfg, err := parseConfig([]string{"-threads", "3", "-sections", "bench,served"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.types) != 1 || cfg.types[0] != "q8_0" || cfg.reps != 2 || cfg.threads != 3 || !cfg.sections["served"] || cfg.sections["batched"] {
		t.Errorf("%+v", cfg)
	}
	t.Setenv("QUICK", "1")
	cfg, err = parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.quick || cfg.out == defaultOut || cfg.reps != 2 { // REPS still wins over quick's 1
		t.Errorf("quick: %+v", cfg)
	}
	for _, bad := range [][]string{{"-reps", "0"}, {"-sections", "bench,nope"}, {"-types", "Q4;rm"}, {"extra"}, {"-tests", "pp"}} {
		if _, err := parseConfig(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// Rows saved by one run are reused by a resumed one with the same key; a
// line cut short by a kill is skipped; without resume the file starts over.
func TestRowStore(t *testing.T) {
	logTo = new(strings.Builder)
	p := filepath.Join(t.TempDir(), "rows.jsonl")
	s, err := openRows(p, false)
	if err != nil {
		t.Fatal(err)
	}
	r := &report{cfg: &config{threads: 2, reps: 3}, rows: s, exaoneCommit: "abc", llamaVersion: "build 1"}
	key := r.rowKey("bench", ".bench/f.gguf", "pp512")
	r.loads = []string{"1.5"}
	r.keep(key, "| f.gguf | pp512 | 1 | 2 | 2.00x |")
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"cut`)
	f.Close()

	s, err = openRows(p, true)
	if err != nil {
		t.Fatal(err)
	}
	r2 := &report{cfg: &config{threads: 2, reps: 3}, rows: s, exaoneCommit: "abc", llamaVersion: "build 1"}
	row, ok := r2.reuse(r2.rowKey("bench", "other/dir/f.gguf", "pp512"))
	if !ok || row != "| f.gguf | pp512 | 1 | 2 | 2.00x |" || r2.turn != 1 || r2.loads[0] != "1.5" || s.used != 1 {
		t.Errorf("reuse: %q %v, turn %d, loads %v", row, ok, r2.turn, r2.loads)
	}
	r2.cfg.reps = 2
	if _, ok := r2.reuse(r2.rowKey("bench", "f.gguf", "pp512")); ok {
		t.Error("reused a row of other settings")
	}
	if s, _ = openRows(p, false); len(s.saved) != 0 {
		t.Error("a fresh run kept old rows")
	}
	if b, _ := os.ReadFile(p); len(b) != 0 {
		t.Errorf("a fresh run did not empty the rows file: %q", b)
	}
}
