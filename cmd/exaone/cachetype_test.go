package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var kvRE = regexp.MustCompile(`KV cache: keys (\S+), values (\S+): ([0-9.]+) MiB`)

// run --verbose reports the KV cache's types and size: q8_0 keys and values
// take 34/64 of f16's bytes (up to the padding of the key tiles), f32 twice.
func TestRunCacheTypes(t *testing.T) {
	size := func(types string, args ...string) float64 {
		t.Helper()
		r := exaone(t, "", append([]string{"run", "--temp", "0", "-n", "12", "-t", "1", "-c", "512", "--verbose", "-p", "And God said"}, args...)...)
		r.ok(t)
		m := kvRE.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no KV cache line:\n%s", r.stderr)
		}
		t.Logf("%s: %s", m[0], r.stdout)
		if m[1]+"/"+m[2] != types {
			t.Errorf("types %s/%s, want %s", m[1], m[2], types)
		}
		mib, _ := strconv.ParseFloat(m[3], 64)
		return mib
	}
	f16 := size("f16/f16")
	q8 := size("q8_0/q8_0", "-ctk", "q8_0", "--cache-type-v", "q8_0")
	f32 := size("f32/f32", "--cache-type-k", "f32", "-ctv", "f32")
	if r := q8 / f16; math.Abs(r-34.0/64) > 0.02 {
		t.Errorf("q8_0 cache %.2f MiB, f16 %.2f: ratio %.3f, want about %.3f", q8, f16, r, 34.0/64)
	}
	if f32 != 2*f16 {
		t.Errorf("f32 cache %.2f MiB, f16 %.2f", f32, f16)
	}
}

// An unsupported or unknown type is refused in one line naming the flag.
func TestCacheTypeRefused(t *testing.T) {
	for _, c := range [][]string{
		{"run", "-ctk", "q4_0", "-p", "x"},
		{"run", "--cache-type-v", "bf16", "-p", "x"},
		{"perplexity", "-ctv", "f64", "-f", evalText()},
		{"serve", "--port", "0", "-ctk", "q4_1"},
		{"bench", "--parallel", "1", "-p", "8", "-n", "2", "-ctv", "q5_0"},
	} {
		r := exaone(t, "", c...)
		flag := "--cache-type-k"
		if strings.Contains(strings.Join(c, " "), "-ctv") || strings.Contains(strings.Join(c, " "), "cache-type-v") {
			flag = "--cache-type-v"
		}
		if r.code == 0 || !strings.Contains(r.stderr, flag) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", c, r.code, r.stderr)
		}
	}
}

// perplexity -ctk q8_0 -ctv q8_0 on the default model stays within 0.3% of
// the f16 cache's figure.
func TestPerplexityCacheQ8(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two perplexity runs")
	}
	args := []string{"perplexity", "-f", evalText(), "-c", "256", "--chunks", "8", "-t", "1"}
	r := exaone(t, "", args...)
	r.ok(t)
	f16, _ := finalEstimate(t, r.stdout)
	r = exaone(t, "", append(args, "-ctk", "q8_0", "-ctv", "q8_0")...)
	r.ok(t)
	q8, _ := finalEstimate(t, r.stdout)
	t.Logf("PPL %.4f with a q8_0 cache, %.4f with f16 (%+.3f%%)", q8, f16, 100*(q8/f16-1))
	if math.Abs(q8/f16-1) > 0.003 {
		t.Errorf("q8_0 cache: PPL %.4f, f16 %.4f", q8, f16)
	}
}
