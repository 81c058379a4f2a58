package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// mean and the sample standard deviation (0 for fewer than two values).
func meanSD(v []float64) (float64, float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	var m, s float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	if len(v) < 2 {
		return m, 0
	}
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)-1))
}

// percentile is the nearest-rank q-th percentile (0 < q <= 100) of v: a
// value that occurred, so p99 of a hundred gaps is the second largest.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	k := int(math.Ceil(q/100*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// A test as llama-bench names it: ppN (prompt), tgN (generation), with an
// optional depth, written tgN@dD.
type testSpec struct {
	Name    string
	P, N, D int
}

var testRE = regexp.MustCompile(`^(pp|tg)(\d+)(?:@d(\d+))?$`)

func parseTests(s string) ([]testSpec, error) {
	var out []testSpec
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		m := testRE.FindStringSubmatch(f)
		if m == nil {
			return nil, fmt.Errorf("test %q: want ppN, tgN or tgN@dD", f)
		}
		k, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if k <= 0 {
			return nil, fmt.Errorf("test %q: the length must be positive", f)
		}
		t := testSpec{Name: m[1] + m[2], D: d}
		if m[1] == "pp" {
			t.P = k
		} else {
			t.N = k
		}
		if d > 0 {
			t.Name += fmt.Sprintf(" @ d%d", d)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tests in %q", s)
	}
	return out, nil
}

func parseInts(what, s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%s: %q is not a list of positive integers", what, s)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty list", what)
	}
	return out, nil
}

// benchRow is what both llama-bench -o json and exaone bench -o json write
// per test (exaone's rows carry llama-bench's names), plus the build fields
// only llama-bench has.
type benchRow struct {
	NPrompt     int       `json:"n_prompt"`
	NGen        int       `json:"n_gen"`
	NDepth      int       `json:"n_depth"`
	AvgTs       float64   `json:"avg_ts"`
	StddevTs    float64   `json:"stddev_ts"`
	SamplesTs   []float64 `json:"samples_ts"`
	ModelSize   int64     `json:"model_size"`
	Backends    string    `json:"backends"`
	BuildCommit string    `json:"build_commit"`
	BuildNumber int       `json:"build_number"`
	// exaone bench --parallel only.
	NParallel int     `json:"n_parallel"`
	SpeedPP   float64 `json:"speed_pp"`
	// exaone's prompt samples of a batched row.
	SamplesPPTs []float64 `json:"samples_pp_ts"`
}

// parseBenchJSON reads a JSON array of rows (llama-bench -o json, exaone
// bench -o json); llama-bench may print log lines before it, so reading
// starts at the first '['.
func parseBenchJSON(out []byte) ([]benchRow, error) {
	i := bytes.IndexByte(out, '[')
	if i < 0 {
		return nil, fmt.Errorf("no JSON array in the output (%s)", firstLine(out))
	}
	var rows []benchRow
	if err := json.Unmarshal(out[i:], &rows); err != nil {
		return nil, fmt.Errorf("reading the JSON rows: %v", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no rows in the JSON output")
	}
	return rows, nil
}

// batchedRow is a line of llama-batched-bench --output-format jsonl.
type batchedRow struct {
	PP      int     `json:"pp"`
	TG      int     `json:"tg"`
	PL      int     `json:"pl"`
	NKV     int     `json:"n_kv"`
	SpeedPP float64 `json:"speed_pp"`
	SpeedTG float64 `json:"speed_tg"`
}

// parseBatchedJSONL reads the JSON lines among llama-batched-bench's
// output, skipping anything else.
func parseBatchedJSONL(out []byte) ([]batchedRow, error) {
	var rows []batchedRow
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var r batchedRow
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("reading a JSON line: %v", err)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no JSON lines in the output (%s)", firstLine(out))
	}
	return rows, nil
}

// streamResult is one streamed completion as the client saw it.
type streamResult struct {
	// Tokens: the server's usage.completion_tokens, or the count of token
	// chunks when it sends no usage.
	Tokens int
	// First: when the first token chunk arrived, after the request was sent.
	First time.Duration
	// Gaps between consecutive token chunks.
	Gaps []time.Duration
	// End: when the stream ended ([DONE] or EOF), after the request was sent.
	End time.Duration
}

// readSSE reads an OpenAI-style completion stream: "data: {json}" events,
// ending with "data: [DONE]". Every event without a finish_reason is a
// token chunk (both servers send one per token, empty text included: a
// piece of a UTF-8 character or a control token); the finishing event
// carries the usage. now gives the time since the request was sent.
func readSSE(r io.Reader, now func() time.Duration) (streamResult, error) {
	var res streamResult
	var chunks int
	var last time.Duration
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		t := now()
		line = strings.TrimRight(line, "\r\n")
		if data, ok := strings.CutPrefix(line, "data:"); ok {
			data = strings.TrimSpace(data)
			if data == "[DONE]" {
				res.End = t
				break
			}
			var ev struct {
				Choices []struct {
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
				Usage *struct {
					CompletionTokens int `json:"completion_tokens"`
				} `json:"usage"`
				Error json.RawMessage `json:"error"`
			}
			if jerr := json.Unmarshal([]byte(data), &ev); jerr != nil {
				return res, fmt.Errorf("stream event is not JSON: %.80s", data)
			}
			if len(ev.Error) > 0 {
				return res, fmt.Errorf("stream error: %.200s", ev.Error)
			}
			if ev.Usage != nil {
				res.Tokens = ev.Usage.CompletionTokens
			}
			if len(ev.Choices) > 0 && ev.Choices[0].FinishReason == nil {
				if chunks == 0 {
					res.First = t
				} else {
					res.Gaps = append(res.Gaps, t-last)
				}
				last = t
				chunks++
			}
		}
		if err == io.EOF {
			res.End = t
			break
		}
		if err != nil {
			return res, err
		}
	}
	if res.Tokens == 0 {
		res.Tokens = chunks
	}
	if chunks == 0 {
		return res, fmt.Errorf("the stream held no tokens")
	}
	return res, nil
}

// firstLine is the first non-empty line of b, shortened, for errors.
func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 160 {
				l = l[:160] + "..."
			}
			return l
		}
	}
	return "empty"
}

// lastLine is the last non-empty line of b, shortened, for errors: a
// failing tool says why at the end of its log.
func lastLine(b []byte) string {
	ls := strings.Split(strings.TrimSpace(string(b)), "\n")
	l := strings.TrimSpace(ls[len(ls)-1])
	if len(l) > 200 {
		l = l[:200] + "..."
	}
	return l
}
