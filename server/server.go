// Package server serves a generate.Model over HTTP: the OpenAI API
// (/v1/chat/completions, /v1/completions, /v1/models), llama-server's
// utility endpoints (/health, /tokenize, /detokenize, /apply-template,
// /props, /metrics) and a subset of ollama's API (/api/chat,
// /api/generate, /api/tags, /api/show, /api/ps, /api/version).
//
// A Server is an http.Handler: mount it on any http.Server. It owns
// Options.Slots generation slots, the sessions of one generate.Batch: each
// slot has its own KV cache, and the busy slots share every forward pass
// (continuous batching, one worker pool), a new request's prompt being read
// in chunks beside the others' tokens. Requests beyond the busy slots wait
// in a bounded queue, and each goes to the idle slot whose cache shares the
// longest prefix with its prompt, so a chat's next turn evaluates only its
// new tokens.
//
// Every error is a JSON body with its HTTP status:
// {"error": {"message", "type", "code"}} on the OpenAI and llama-server
// endpoints, {"error": "..."} on ollama's.
package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/model"
)

// Errors a Server's methods return, for errors.Is.
var (
	// ErrBadOptions wraps every invalid Options field.
	ErrBadOptions = errors.New("server: bad options")
	// errQueueFull: every slot is busy and the queue is full (503).
	errQueueFull = errors.New("the server is busy: every slot is taken and the queue is full")
	// errShuttingDown: the server is shutting down (503).
	errShuttingDown = errors.New("the server is shutting down")
)

// Options configure a Server; the zero value serves one slot with the
// model's default context.
type Options struct {
	// Slots is the number of requests generated at the same time (-np);
	// 0 means 1.
	Slots int
	// Ctx is each slot's context in tokens (prompt and reply), each slot
	// having a KV cache of its own of that size; 0 means the model's,
	// capped at generate.DefaultCtx. (llama-server divides its -c among
	// the slots instead.)
	Ctx int
	// Threads is the worker threads of the one pool that runs every
	// slot's forward passes; 0 = model.DefaultThreads().
	Threads int
	// Batch is the most tokens evaluated per forward pass; 0 = 512.
	Batch int
	// Chunk is the most prompt tokens a forward pass reads while other
	// slots generate (generate.BatchOptions.Chunk); 0 means
	// generate.DefaultChunk.
	Chunk int
	// CacheTypeK and CacheTypeV are the element types of every slot's
	// cached keys and values (llama-server's --cache-type-k/-v); the zero
	// value is f16.
	CacheTypeK, CacheTypeV model.CacheType
	// Queue is how many requests may wait for a slot; beyond it requests
	// get 503. 0 means 64; negative means none wait.
	Queue int
	// MaxBody bounds a request body in bytes (413 beyond); 0 means 8 MiB.
	MaxBody int64
	// APIKeys, if any, are required of every request but /health,
	// /v1/models and ollama's read-only listings, as
	// "Authorization: Bearer KEY" or "X-Api-Key: KEY".
	APIKeys []string
	// Metrics serves /metrics (Prometheus text, llama-server's names).
	Metrics bool
	// ReasoningFormat is "deepseek" (the default: reasoning in
	// reasoning_content) or "none" (reasoning left inline in content,
	// inside <think>...</think>), as llama-server's --reasoning-format.
	ReasoningFormat string
	// Alias is the model's name in responses and listings; "" means the
	// GGUF file's base name.
	Alias string
	// KeepAlive is how often a stream still waiting for its first token
	// (queued, or evaluating a long prompt) sends an SSE comment so
	// proxies and clients do not time it out; 0 means 10s.
	KeepAlive time.Duration
}

// Server is an http.Handler serving one model. Its methods are safe for
// concurrent use.
type Server struct {
	m       *generate.Model
	opts    Options
	mux     *http.ServeMux
	sched   *scheduler
	batch   *generate.Batch
	ctx     int // each slot's context
	name    string
	started time.Time
	stats   stats

	// base is cancelled by Shutdown to end the generations in flight.
	base   context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup
	closed   chan struct{}
}

// New creates the Server's slots (their KV caches, worker threads and the
// batch's loop: release them with Shutdown) and routes.
func New(m *generate.Model, o Options) (*Server, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: no model", ErrBadOptions)
	}
	switch {
	case o.Slots < 0:
		return nil, fmt.Errorf("%w: Slots %d", ErrBadOptions, o.Slots)
	case o.Ctx < 0:
		return nil, fmt.Errorf("%w: Ctx %d", ErrBadOptions, o.Ctx)
	case o.Chunk < 0:
		return nil, fmt.Errorf("%w: Chunk %d", ErrBadOptions, o.Chunk)
	case o.MaxBody < 0:
		return nil, fmt.Errorf("%w: MaxBody %d", ErrBadOptions, o.MaxBody)
	case o.KeepAlive < 0:
		return nil, fmt.Errorf("%w: KeepAlive %v", ErrBadOptions, o.KeepAlive)
	}
	switch o.ReasoningFormat {
	case "", "auto", "deepseek":
		o.ReasoningFormat = "deepseek"
	case "none":
	default:
		return nil, fmt.Errorf("%w: ReasoningFormat %q (want deepseek or none)", ErrBadOptions, o.ReasoningFormat)
	}
	for _, k := range o.APIKeys {
		if k == "" {
			return nil, fmt.Errorf("%w: an empty API key", ErrBadOptions)
		}
	}
	if o.Slots == 0 {
		o.Slots = 1
	}
	if o.Queue == 0 {
		o.Queue = 64
	} else if o.Queue < 0 {
		o.Queue = 0
	}
	if o.MaxBody == 0 {
		o.MaxBody = 8 << 20
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = 10 * time.Second
	}
	s := &Server{m: m, opts: o, started: time.Now(), closed: make(chan struct{})}
	s.name = o.Alias
	if s.name == "" {
		s.name = filepath.Base(m.Path())
	}
	b, err := m.NewBatch(generate.BatchOptions{Slots: o.Slots, Ctx: o.Ctx, Threads: o.Threads, Batch: o.Batch, Chunk: o.Chunk, CacheTypeK: o.CacheTypeK, CacheTypeV: o.CacheTypeV})
	if err != nil {
		return nil, err
	}
	s.batch = b
	s.sched = &scheduler{maxQueue: o.Queue}
	for i, sess := range b.Sessions() {
		s.sched.slots = append(s.sched.slots, &slot{id: i, sess: sess})
	}
	s.ctx = s.sched.slots[0].sess.Ctx()
	s.base, s.cancel = context.WithCancelCause(context.Background())
	s.routes()
	return s, nil
}

// Info describes a Server's slots.
type Info struct {
	// Slots is the number of slots, Ctx each one's context in tokens and
	// KVBytesPerSlot the memory of each one's KV cache.
	Slots, Ctx, KVBytesPerSlot int
	// Threads is the number of worker threads of the slots' batch, Chunk
	// the most prompt tokens it reads per step while slots generate.
	Threads, Chunk int
}

// Info describes the Server's slots.
func (s *Server) Info() Info {
	return Info{Slots: len(s.sched.slots), Ctx: s.ctx, KVBytesPerSlot: s.sched.slots[0].sess.KVBytes(), Threads: s.batch.Threads(), Chunk: s.batch.Chunk()}
}

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /v1/health", s.health)
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("GET /models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", s.private(s.chatCompletions))
	mux.HandleFunc("POST /chat/completions", s.private(s.chatCompletions))
	mux.HandleFunc("POST /v1/completions", s.private(s.completions))
	mux.HandleFunc("POST /completions", s.private(s.completions))
	mux.HandleFunc("POST /tokenize", s.private(s.tokenize))
	mux.HandleFunc("POST /detokenize", s.private(s.detokenize))
	mux.HandleFunc("POST /apply-template", s.private(s.applyTemplate))
	mux.HandleFunc("GET /props", s.private(s.props))
	if s.opts.Metrics {
		mux.HandleFunc("GET /metrics", s.private(s.metrics))
	}
	s.ollamaRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, msg: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	s.mux = mux
}

// ServeHTTP routes a request. A method the route does not take is 405, an
// unknown path 404, both as JSON.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern == "" || pattern == "/" {
		// ServeMux answers a wrong method with a text 405; say it in JSON.
		if _, p := s.mux.Handler(withMethod(r, http.MethodGet)); p != "" && p != "/" && r.Method != http.MethodGet {
			writeError(w, &apiError{status: http.StatusMethodNotAllowed, msg: r.Method + " is not allowed on " + r.URL.Path})
			return
		}
		if _, p := s.mux.Handler(withMethod(r, http.MethodPost)); p != "" && p != "/" && r.Method != http.MethodPost {
			writeError(w, &apiError{status: http.StatusMethodNotAllowed, msg: r.Method + " is not allowed on " + r.URL.Path})
			return
		}
	}
	h.ServeHTTP(w, r)
}

func withMethod(r *http.Request, m string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.Method = m
	return r2
}

// private requires an API key when the server has any.
func (s *Server) private(h http.HandlerFunc) http.HandlerFunc {
	if len(s.opts.APIKeys) == 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Api-Key")
		if a := r.Header.Get("Authorization"); key == "" && a != "" {
			if k, ok := strings.CutPrefix(a, "Bearer "); ok {
				key = strings.TrimSpace(k)
			}
		}
		ok := false
		for _, k := range s.opts.APIKeys {
			if subtle.ConstantTimeCompare([]byte(key), []byte(k)) == 1 {
				ok = true
			}
		}
		if !ok {
			msg := "invalid API key"
			if key == "" {
				msg = "missing API key: send Authorization: Bearer KEY or X-Api-Key: KEY"
			}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeOllamaError(w, http.StatusUnauthorized, msg)
				return
			}
			writeError(w, &apiError{status: http.StatusUnauthorized, msg: msg})
			return
		}
		h(w, r)
	}
}

// begin registers a generation in flight, or refuses it while shutting
// down. The returned context ends with the request or with Shutdown.
func (s *Server) begin(r *http.Request) (context.Context, func(), error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, nil, errShuttingDown
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancelCause(r.Context())
	stop := context.AfterFunc(s.base, func() { cancel(errShuttingDown) })
	return ctx, func() {
		stop()
		cancel(nil)
		s.inflight.Done()
	}, nil
}

// Shutdown refuses new generations (503), ends those in flight (a stream
// gets an error chunk, a waiting request a 503), waits for their handlers
// to finish or ctx to end, and frees the slots. Requests that generate
// nothing (/health, /tokenize...) are still served: stop the http.Server
// for those.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closing
	s.closing = true
	s.mu.Unlock()
	if first {
		s.sched.mu.Lock()
		s.sched.closed = true
		s.sched.mu.Unlock()
		s.cancel(errShuttingDown)
		go func() {
			s.inflight.Wait()
			s.batch.Close()
			close(s.closed)
		}()
	}
	select {
	case <-s.closed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Loading is the handler to serve while the model loads: /health and every
// other path answer 503 with a JSON error, as llama-server does.
func Loading() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusServiceUnavailable, msg: "Loading model"})
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		writeError(w, &apiError{status: http.StatusServiceUnavailable, msg: errShuttingDown.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	dec := s.m.Decoder()
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data": []any{map[string]any{
			"id":       s.name,
			"object":   "model",
			"created":  s.started.Unix(),
			"owned_by": "exaone",
			"meta": map[string]any{
				"n_vocab":     dec.Vocab,
				"n_ctx":       s.ctx,
				"n_ctx_train": dec.CtxTrain,
			},
		}},
	})
}

// apiError is an error with its HTTP status, written as
// {"error": {"code", "message", "type"}}.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// errorType is OpenAI's (and llama-server's) name for a status.
func errorType(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusServiceUnavailable:
		return "unavailable_error"
	case http.StatusNotImplemented:
		return "not_supported_error"
	}
	if status >= 500 {
		return "server_error"
	}
	return "invalid_request_error"
}

func errorBody(e *apiError) map[string]any {
	return map[string]any{"error": map[string]any{"code": e.status, "message": e.msg, "type": errorType(e.status)}}
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, errorBody(e))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":500,"message":"cannot encode the response","type":"server_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// marshal is json.Marshal without HTML escaping: prompts and tool calls
// are full of < and >, which clients should read as they are. The result
// ends with a newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// asAPIError gives any error its status: the scheduler's and generate's
// errors map to 503 and 400, the rest to 500.
func asAPIError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, errQueueFull), errors.Is(err, errShuttingDown):
		return &apiError{status: http.StatusServiceUnavailable, msg: err.Error()}
	case errors.Is(err, generate.ErrBadRequest), errors.Is(err, generate.ErrContextFull):
		return &apiError{status: http.StatusBadRequest, msg: err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, msg: "the request was cancelled: " + err.Error()}
	}
	return &apiError{status: http.StatusInternalServerError, msg: err.Error()}
}

// stats are the counters behind /metrics (the forward passes are the
// batch's).
type stats struct {
	promptTokens    atomic.Int64 // evaluated, the cached ones excluded
	promptNanos     atomic.Int64
	predictedTokens atomic.Int64
	predictedNanos  atomic.Int64
	maxTokens       atomic.Int64 // largest prompt+reply seen
	requests        atomic.Int64
}

func (st *stats) record(res *generate.Result) {
	st.promptTokens.Add(int64(res.PromptTokens - res.CachedTokens))
	st.promptNanos.Add(int64(res.PromptTime))
	st.predictedTokens.Add(int64(res.GeneratedTokens))
	st.predictedNanos.Add(int64(res.GenerateTime))
	n := int64(res.PromptTokens + res.GeneratedTokens)
	for {
		old := st.maxTokens.Load()
		if n <= old || st.maxTokens.CompareAndSwap(old, n) {
			break
		}
	}
	st.requests.Add(1)
}
