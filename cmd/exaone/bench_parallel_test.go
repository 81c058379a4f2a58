package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/defaultmodel"
)

// bench --parallel on the embedded model: a JSON row per model, thread
// count and sequence count, with n_parallel, the aggregate decode speed as
// avg_ts and one sample per repetition.
func TestBenchParallelJSON(t *testing.T) {
	t.Setenv("EXAONE_CACHE", cacheDir)
	file, err := defaultmodel.Path()
	if err != nil {
		t.Fatal(err)
	}
	const p, n, reps = 6, 3, 2
	r := exaone(t, "", "bench", "-m", file+","+file, "-t", "1,2", "--parallel", "1,3", "-p", "6", "-n", "3",
		"-r", "2", "-o", "json", "-ctk", "q8_0")
	r.ok(t)
	var rows []parallelResult
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("%v in:\n%s", err, r.stdout)
	}
	if len(rows) != 2*2*2 {
		t.Fatalf("want 8 rows (2 models x 2 thread counts x 2 sequence counts), got %d", len(rows))
	}
	for i, row := range rows {
		wantNP := []int{1, 3}[i%2]
		wantT := []int{1, 2}[i/2%2]
		if row.NParallel != wantNP || row.NThreads != wantT || row.NPrompt != p || row.NGen != n {
			t.Errorf("row %d: n_parallel %d, n_threads %d, n_prompt %d, n_gen %d; want %d, %d, %d, %d",
				i, row.NParallel, row.NThreads, row.NPrompt, row.NGen, wantNP, wantT, p, n)
		}
		if row.TypeK != "q8_0" || row.TypeV != "f16" {
			t.Errorf("row %d: cache types %s/%s, want the flags' q8_0/f16", i, row.TypeK, row.TypeV)
		}
		if row.NKV != wantNP*(p+n) {
			t.Errorf("row %d: n_kv %d, want %d", i, row.NKV, wantNP*(p+n))
		}
		if len(row.SamplesTs) != reps || len(row.SamplesNs) != reps || len(row.SamplesPPTs) != reps {
			t.Errorf("row %d: %d, %d and %d samples, want %d each", i, len(row.SamplesTs), len(row.SamplesNs), len(row.SamplesPPTs), reps)
		}
		if row.AvgTs <= 0 || row.SpeedPP <= 0 || row.Speed <= 0 || row.AvgNs <= 0 {
			t.Errorf("row %d: speeds must be positive: avg_ts %v, speed_pp %v, speed %v, avg_ns %v",
				i, row.AvgTs, row.SpeedPP, row.Speed, row.AvgNs)
		}
	}
	// The raw JSON carries the names the compare harness reads.
	for _, key := range []string{`"n_parallel"`, `"avg_ts"`, `"speed_pp"`, `"n_kv"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("no %s in the JSON", key)
		}
	}
}

// The markdown table has llama-batched-bench's columns and a row per count.
func TestBenchParallelMarkdown(t *testing.T) {
	r := exaone(t, "", "bench", "-t", "1", "--npl", "2,1", "-p", "4", "-n", "2", "-r", "1")
	r.ok(t)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "| model | threads | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s |") {
		t.Fatalf("want a header, a rule and two rows:\n%s", r.stdout)
	}
	for i, b := range []string{"2", "1"} {
		cells := strings.Split(lines[2+i], "|")
		if got := strings.TrimSpace(cells[5]); got != b {
			t.Errorf("row %d: B %q, want %s", i, got, b)
		}
	}
}

// Bad values are one-line errors on stderr, before any output.
func TestBenchParallelErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--parallel", "0"},
		{"--parallel", "x"},
		{"--parallel", "1,,2"},
		{"--parallel", "-1"},
		{"--parallel", "257"},
		{"--parallel", ""},
		{"--parallel", "2", "-n", "0"},
		{"--parallel", "2", "-p", "5000", "-n", "1"},
	} {
		r := exaone(t, "", append([]string{"bench", "-t", "1", "-r", "1"}, args...)...)
		msg := strings.TrimSuffix(r.stderr, "\n")
		if r.code == 0 || msg == "" || strings.Contains(msg, "\n") || !strings.Contains(msg, "--parallel") {
			t.Errorf("%v: exit %d, want a one-line error naming --parallel, got stderr %q", args, r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%v: output before the error: %q", args, r.stdout)
		}
	}
}

func TestParallelList(t *testing.T) {
	got, err := parallelList(" 1, 2,4 ,8")
	if err != nil || len(got) != 4 || got[0] != 1 || got[3] != 8 {
		t.Fatalf("parallelList: %v, %v", got, err)
	}
}
