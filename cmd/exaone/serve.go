package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/server"
	"github.com/exaone-go/exaone/webui"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "serve",
		Usage: "serve the model over HTTP: the OpenAI API, llama-server's endpoints and ollama's (like llama-server)",
		Description: "Without -m the bundled tiny-hybrid-kjv model is served, with a chat page at / (--no-webui: none).\n" +
			"/health answers 503 while the model\n" +
			"loads. Ctrl-C (SIGINT) or SIGTERM shuts down: streams in flight end with an error event.\n\n" +
			"The -np slots share every forward pass (continuous batching, one pool of -t threads): each step\n" +
			"evaluates the next token of every generating slot, and a new prompt is read in chunks beside\n" +
			"them (at most --prefill-chunk tokens, fewer where more would double the step's time), so a\n" +
			"long prompt does not stall the others' streams. Each slot\n" +
			"has its own KV cache of -c tokens (llama-server divides -c among its slots instead: to match\n" +
			"llama-server -c 4096 -np 4, give -c 1024).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "GGUF `FILE` (default: the bundled tiny-hybrid-kjv)"},
			&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "listen on `ADDRESS`"},
			&cli.IntFlag{Name: "port", Value: 8080, Usage: "listen on `PORT` (0: any free port)"},
			&cli.IntFlag{Name: "ctx-size", Aliases: []string{"c"}, Usage: "context size of each slot in tokens, each with its own KV cache (0: the model's, at most 4096)"},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Usage: "worker threads (0: physical cores), one pool for all slots"},
			&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: 512, Usage: "most tokens per forward pass"},
			&cli.IntFlag{Name: "prefill-chunk", Value: generate.DefaultChunk, Usage: "most prompt tokens per forward pass while other slots generate"},
			&cli.IntFlag{Name: "parallel", Aliases: []string{"np"}, Value: 1, Usage: "`N` slots: requests generated at the same time"},
			&cli.IntFlag{Name: "queue", Value: 64, Usage: "requests that may wait for a slot (beyond: 503)"},
			&cli.StringFlag{Name: "api-key", EnvVars: []string{"LLAMA_API_KEY"}, Usage: "require this `KEY` (comma-separated for several)"},
			&cli.BoolFlag{Name: "metrics", Usage: "serve Prometheus metrics at /metrics"},
			&cli.StringFlag{Name: "reasoning-format", Value: "deepseek", Usage: "deepseek: reasoning in reasoning_content; none: left inline in content"},
			&cli.StringFlag{Name: "alias", Aliases: []string{"a"}, Usage: "model `NAME` in responses (default: the file's name)"},
			&cli.IntFlag{Name: "timeout", Aliases: []string{"to"}, Value: 600, Usage: "seconds to read a request (headers and body)"},
			&cli.BoolFlag{Name: "no-webui", Usage: "do not serve the chat page at /"},
		}, cacheTypeFlags()...),
		Action: serve,
	})
}

func serve(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments (got %q): the model is -m FILE", c.Args().First())
	}
	if c.Int("timeout") <= 0 {
		return errors.New("--timeout must be positive")
	}
	var keys []string
	for k := range strings.SplitSeq(c.String("api-key"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	opts := server.Options{
		Slots: c.Int("parallel"), Ctx: c.Int("ctx-size"), Threads: c.Int("threads"), Batch: c.Int("batch-size"), Chunk: c.Int("prefill-chunk"),
		Queue: c.Int("queue"), APIKeys: keys, Metrics: c.Bool("metrics"),
		ReasoningFormat: c.String("reasoning-format"), Alias: c.String("alias"),
	}
	switch {
	case opts.Slots < 1:
		return fmt.Errorf("--parallel must be at least 1, got %d", opts.Slots)
	case opts.Ctx < 0, opts.Threads < 0, opts.Batch < 1, opts.Chunk < 1, opts.Queue < 0:
		return errors.New("-c, -t and --queue must not be negative, -b and --prefill-chunk must be positive")
	case opts.ReasoningFormat != "deepseek" && opts.ReasoningFormat != "none" && opts.ReasoningFormat != "auto":
		return fmt.Errorf("--reasoning-format %q: want deepseek or none", opts.ReasoningFormat)
	}
	var err error
	if opts.CacheTypeK, opts.CacheTypeV, err = cacheTypes(c); err != nil {
		return err
	}
	if opts.Queue == 0 {
		opts.Queue = -1 // Options' 0 is the default; the flag's 0 means none
	}

	// Listen before loading, so that a taken port fails at once and
	// /health can say "loading" meanwhile.
	addr := net.JoinHostPort(c.String("host"), strconv.Itoa(c.Int("port")))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var handler atomic.Pointer[http.Handler]
	loading := server.Loading()
	handler.Store(&loading)
	timeout := time.Duration(c.Int("timeout")) * time.Second
	hs := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: min(timeout, 30*time.Second),
		ReadTimeout:       timeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// No WriteTimeout: a stream lasts as long as its generation.
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(c.App.ErrWriter, "exaone serve: listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	type loaded struct {
		m   *generate.Model
		srv *server.Server
		err error
	}
	ready := make(chan loaded, 1)
	go func() {
		m, err := generate.Load(c.String("model"))
		if err != nil {
			ready <- loaded{err: err}
			return
		}
		srv, err := server.New(m, opts)
		if err != nil {
			m.Close()
		}
		ready <- loaded{m: m, srv: srv, err: err}
	}()
	var l loaded
	select {
	case l = <-ready:
	case <-ctx.Done():
		hs.Close()
		return errors.New("interrupted while loading the model")
	case err := <-served:
		return err
	}
	if l.err != nil {
		hs.Close()
		return oneLine(l.err)
	}
	defer l.m.Close()
	var h http.Handler = l.srv
	if !c.Bool("no-webui") {
		h = webui.With(l.srv) // the page's paths; the rest, 404s included, the server's
	}
	handler.Store(&h)
	in := l.srv.Info()
	fmt.Fprintf(c.App.ErrWriter, "exaone serve: model %s loaded in %v, %d slot(s) of %d tokens (KV cache %.1f MiB each), %d thread(s); Ctrl-C to stop\n",
		l.m.Path(), l.m.LoadTime().Round(time.Millisecond), in.Slots, in.Ctx, float64(in.KVBytesPerSlot)/(1<<20), in.Threads)

	select {
	case <-ctx.Done():
	case err := <-served:
		l.srv.Shutdown(context.Background())
		return err
	}
	stop() // a second signal kills the process
	fmt.Fprintln(c.App.ErrWriter, "exaone serve: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Generations first (their streams end with an error event), then
	// the listener and the idle connections.
	err = l.srv.Shutdown(sctx)
	if herr := hs.Shutdown(sctx); err == nil {
		err = herr
	}
	return err
}
