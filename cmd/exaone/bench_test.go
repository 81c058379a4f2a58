package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bench -v reports the KV cache and, on Linux, the peak resident memory
// split into anonymous and mapped-file pages, on standard error only: the
// table on standard output stays llama-bench's.
func TestBenchVerbose(t *testing.T) {
	r := exaone(t, "", "bench", "-p", "4", "-n", "2", "-r", "1", "-t", "1", "-v")
	r.ok(t)
	for _, test := range []string{"| pp4 |", "| tg2 |"} {
		if !strings.Contains(r.stdout, test) {
			t.Errorf("no %s row in:\n%s", test, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "memory") || strings.Contains(r.stdout, "kv cache") {
		t.Errorf("verbose lines on standard output:\n%s", r.stdout)
	}
	want := []string{"loaded in", "p4 n0 d0 t1: kv cache:", "p0 n2 d0 t1: kv cache:"}
	if runtime.GOOS == "linux" {
		want = append(want, "p0 n2 d0 t1: peak memory:", "MiB anonymous + ")
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("no %q in standard error:\n%s", w, r.stderr)
		}
	}
}

// --cpuprofile writes a profile go tool pprof reads (gzip-compressed
// protobuf), and an existing file only with --force.
func TestBenchCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	exaone(t, "", "bench", "-t", "1", "-p", "16", "-n", "4", "-r", "1", "--cpuprofile", prof).ok(t)
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile: %v, %d bytes", err, len(b))
	}
	r := exaone(t, "", "bench", "-t", "1", "-p", "16", "-n", "0", "-r", "1", "--cpuprofile", prof)
	if r.code == 0 || !strings.Contains(r.stderr, "--cpuprofile") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("existing profile without --force: exit %d, %q", r.code, r.stderr)
	}
	exaone(t, "", "bench", "-t", "1", "-p", "16", "-n", "0", "-r", "1", "--cpuprofile", prof, "--force").ok(t)
}
