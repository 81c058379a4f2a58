//go:build unix

package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestServe runs the real command on a free loopback port with the bundled
// model: it answers /health and a completion, and SIGTERM during a stream
// ends the stream with an error event and the process with status 0.
func TestServe(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve", "--port", "0", "-t", "1", "-np", "2", "-c", "512", "--metrics")
	cmd.Env = append(os.Environ(), mainEnv+"=1", "EXAONE_CACHE="+cacheDir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	errs := bufio.NewReader(stderr)
	line := readUntil(t, errs, "\n")
	_, url, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	readUntil(t, errs, "loaded")
	go io.Copy(io.Discard, errs)

	resp, err := http.Get(url + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/health: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(url + "/")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("chat page at /: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(url + "/nope")
	if err != nil || resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("unknown path: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post(url+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"And God said","max_tokens":4,"temperature":0}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"finish_reason":"length"`) {
		t.Fatalf("completion: %d %s", resp.StatusCode, b)
	}

	resp, err = http.Post(url+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"And God said","max_tokens":500,"ignore_eos":true,"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := bufio.NewReader(resp.Body)
	readUntil(t, body, "data: ")
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(body)
	if !strings.Contains(string(rest), `"error"`) || strings.Contains(string(rest), "[DONE]") {
		t.Errorf("the stream ended without an error event: ...%s", rest[max(0, len(rest)-300):])
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}
