package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// servePrompt is the fixed prompt of every served request (the same text
// for both servers; with the slots' prompt caches warm after the warm-up
// round, a request's cost is its generated tokens).
const servePrompt = "And it came to pass, when the king heard the words of the book of the law, that he rent his clothes."

// httpClient talks to the local servers only: no proxy from the
// environment, enough idle connections for every client.
var httpClient = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}

// freePort asks the kernel for a free TCP port on the loopback address.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// A served endpoint under test.
type endpoint struct {
	name string
	url  string
	srv  *server
}

// launch starts a server on a free port and polls its /health until it
// answers 200 (both servers answer 503 while loading).
func launch(ctx context.Context, cfg *config, name, logPath, bin string, args func(port int) []string) (*endpoint, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s, err := startServer(ctx, logPath, bin, args(port)...)
	if err != nil {
		return nil, err
	}
	ep := &endpoint{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), srv: s}
	deadline := time.Now().Add(cfg.loadTimeout)
	for {
		if gone, why := s.exited(); gone {
			return nil, fmt.Errorf("%s exited while starting: %w (log: %s)", name, why, logPath)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", ep.url+"/health", nil)
		if resp, err := httpClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return ep, nil
			}
		}
		if ctx.Err() != nil {
			s.stop()
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready after %v (log: %s)", name, cfg.loadTimeout, logPath)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// stream sends one streaming completion and times its chunks.
func stream(ctx context.Context, url string, maxTokens int) (streamResult, error) {
	body, _ := json.Marshal(map[string]any{
		"prompt": servePrompt, "max_tokens": maxTokens, "temperature": 0,
		// Both servers honour ignore_eos, so every stream has maxTokens tokens.
		"ignore_eos": true, "stream": true, "stream_options": map[string]any{"include_usage": true},
	})
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/v1/completions", bytes.NewReader(body))
	if err != nil {
		return streamResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return streamResult{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return streamResult{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, firstLine(b))
	}
	return readSSE(resp.Body, func() time.Duration { return time.Since(start) })
}

// roundResult: k clients streaming at once.
type roundResult struct {
	tokens int
	wall   time.Duration // first request sent to last stream ended
	gaps   []float64     // ms between tokens, every stream
	first  []float64     // ms to the first token, every stream
}

func round(ctx context.Context, timeout time.Duration, url string, k, maxTokens int) (roundResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := make([]streamResult, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = stream(ctx, url, maxTokens)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	var r roundResult
	r.wall = wall
	for i := range k {
		if errs[i] != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return r, fmt.Errorf("a round of %d streams timed out after %v", k, timeout)
			}
			return r, errs[i]
		}
		r.tokens += res[i].Tokens
		r.first = append(r.first, ms(res[i].First))
		for _, g := range res[i].Gaps {
			r.gaps = append(r.gaps, ms(g))
		}
	}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// servedFigures sums up one server's rounds.
type servedFigures struct {
	ts          []float64 // tokens/s of each round, all streams together
	gaps, first []float64
}

func (f *servedFigures) add(r roundResult) {
	f.ts = append(f.ts, float64(r.tokens)/r.wall.Seconds())
	f.gaps = append(f.gaps, r.gaps...)
	f.first = append(f.first, r.first...)
}

// servedCompare runs k clients against exaone serve -np k and llama-server
// -np k on the same file, both up at once and taking turns round by round
// (the order flipped each round), after a warm-up round each.
func servedCompare(ctx context.Context, cfg *config, file string, k int) (ours, theirs servedFigures, err error) {
	tag := fmt.Sprintf("%s-np%d", filepath.Base(file), k)
	t := strconv.Itoa(cfg.threads)
	ex, err := launch(ctx, cfg, "exaone serve", filepath.Join(cfg.logDir, "exaone-serve-"+tag+".log"), cfg.exaone, func(port int) []string {
		return []string{"serve", "-m", file, "-np", strconv.Itoa(k), "-c", strconv.Itoa(cfg.slotCtx), "-t", t,
			"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--no-webui"}
	})
	if err != nil {
		return ours, theirs, err
	}
	defer ex.srv.stop()
	// llama-server's -c is the context of all slots together (each gets
	// c/np), ours is per slot.
	ll, err := launch(ctx, cfg, "llama-server", filepath.Join(cfg.logDir, "llama-server-"+tag+".log"), cfg.tool("llama-server"), func(port int) []string {
		return []string{"-m", file, "-np", strconv.Itoa(k), "-c", strconv.Itoa(cfg.slotCtx * k), "-t", t,
			"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--no-webui"}
	})
	if err != nil {
		return ours, theirs, err
	}
	defer ll.srv.stop()
	eps := []*endpoint{ex, ll}
	figs := []*servedFigures{&ours, &theirs}
	for _, ep := range eps {
		if _, err := round(ctx, cfg.timeout, ep.url, k, cfg.maxTokens); err != nil {
			return ours, theirs, fmt.Errorf("%s warm-up: %v", ep.name, err)
		}
	}
	for r := range cfg.reps {
		for j := range 2 {
			i := (j + r) % 2
			res, err := round(ctx, cfg.timeout, eps[i].url, k, cfg.maxTokens)
			if err != nil {
				return ours, theirs, fmt.Errorf("%s: %v", eps[i].name, err)
			}
			figs[i].add(res)
		}
	}
	return ours, theirs, nil
}
