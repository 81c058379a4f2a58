package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exaone-go/exaone/generate"
)

func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	var cr completionRequest
	if err := readBody(w, r, s.opts.MaxBody, &cr); err != nil {
		writeError(w, err)
		return
	}
	req, aerr := cr.toGenerate(s.ctx, s.m.Decoder().Vocab)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ids, aerr := s.prepare(req)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	type choice struct {
		Text         string    `json:"text"`
		Index        int       `json:"index"`
		Logprobs     *struct{} `json:"logprobs"`
		FinishReason *string   `json:"finish_reason"`
	}
	type response struct {
		ID      string   `json:"id"`
		Object  string   `json:"object"`
		Created int64    `json:"created"`
		Model   string   `json:"model"`
		Choices []choice `json:"choices"`
		Usage   *usage   `json:"usage,omitempty"`
		Timings *timings `json:"timings,omitempty"`
	}
	id, created := newID("cmpl-", 32), time.Now().Unix()
	resp := func(choices []choice) *response {
		return &response{ID: id, Object: "text_completion", Created: created, Model: s.name, Choices: choices}
	}
	if !cr.Stream {
		res, _, err := s.run(r, &job{req: req, ids: ids})
		if err != nil {
			writeError(w, asAPIError(err))
			return
		}
		fr := finishReason(res.Stop)
		out := resp([]choice{{Text: res.Text, FinishReason: &fr}})
		out.Usage, out.Timings = usageOf(&res), timingsOf(&res)
		writeJSON(w, http.StatusOK, out)
		return
	}
	var st *sse
	j := &job{req: req, ids: ids}
	j.admitted = func() { st = startSSE(w) }
	j.keepAlive = func() error { return st.comment() }
	j.chunk = func(c generate.Chunk) error { return st.data(resp([]choice{{Text: c.Text}})) }
	res, started, err := s.run(r, j)
	if !started {
		writeError(w, asAPIError(err))
		return
	}
	if err != nil {
		if r.Context().Err() == nil {
			st.fail(err)
		}
		return
	}
	fr := finishReason(res.Stop)
	last := resp([]choice{{FinishReason: &fr}})
	last.Timings = timingsOf(&res)
	if cr.StreamOptions != nil && cr.StreamOptions.IncludeUsage {
		last.Usage = usageOf(&res)
	}
	if st.data(last) == nil {
		st.done()
	}
}

// tokenize is llama-server's POST /tokenize: {"content", "add_special",
// "with_pieces"} -> {"tokens": [ids] or [{"id", "piece"}]}.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	var v struct {
		Content    *string `json:"content"`
		AddSpecial bool    `json:"add_special"`
		WithPieces bool    `json:"with_pieces"`
	}
	if err := readBody(w, r, s.opts.MaxBody, &v); err != nil {
		writeError(w, err)
		return
	}
	if v.Content == nil {
		writeError(w, badRequest("content: missing"))
		return
	}
	tk := s.m.Tokenizer()
	ids := tk.Encode(*v.Content, true)
	if v.AddSpecial && tk.AddBOS() && tk.BOS() >= 0 && (len(ids) == 0 || ids[0] != tk.BOS()) {
		ids = append([]int{tk.BOS()}, ids...)
	}
	if !v.WithPieces {
		writeJSON(w, http.StatusOK, map[string]any{"tokens": ids})
		return
	}
	type piece struct {
		ID    int `json:"id"`
		Piece any `json:"piece"`
	}
	out := make([]piece, len(ids))
	for i, id := range ids {
		p := tk.Decode([]int{id})
		out[i] = piece{ID: id, Piece: p}
		if utf8.ValidString(p) {
			continue
		}
		// A piece that is part of a UTF-8 character: its bytes, as
		// llama-server gives them.
		if b := tk.TokenBytes(id); b != nil {
			nums := make([]int, len(b))
			for k, c := range b {
				nums[k] = int(c)
			}
			out[i].Piece = nums
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) {
	var v struct {
		Tokens []int `json:"tokens"`
	}
	if err := readBody(w, r, s.opts.MaxBody, &v); err != nil {
		writeError(w, err)
		return
	}
	vocab := s.m.Tokenizer().VocabSize()
	for i, id := range v.Tokens {
		if id < 0 || id >= vocab {
			writeError(w, badRequest("tokens[%d]: %d is not a token id (0 to %d)", i, id, vocab-1))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"content": s.m.Tokenizer().Decode(v.Tokens)})
}

// applyTemplate is llama-server's POST /apply-template: a chat request's
// rendered prompt, {"prompt": ...}.
func (s *Server) applyTemplate(w http.ResponseWriter, r *http.Request) {
	var cr chatRequest
	if err := readBody(w, r, s.opts.MaxBody, &cr); err != nil {
		writeError(w, err)
		return
	}
	req, aerr := cr.toGenerate(s.ctx, s.m.Decoder().Vocab)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	text, err := s.m.Render(req)
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"prompt": text})
}

// props is llama-server's GET /props, the fields clients read.
func (s *Server) props(w http.ResponseWriter, r *http.Request) {
	d := defaultsJSON()
	d["n_ctx"] = s.ctx
	writeJSON(w, http.StatusOK, map[string]any{
		"default_generation_settings": map[string]any{"params": d, "n_ctx": s.ctx},
		"total_slots":                 len(s.sched.slots),
		"kv_cache_bytes_per_slot":     s.sched.slots[0].sess.KVBytes(),
		"prefill_chunk":               s.batch.Chunk(),
		"model_alias":                 s.name,
		"model_path":                  s.m.Path(),
		"chat_template":               s.m.Tokenizer().ChatTemplate(),
		"bos_token":                   tokenText(s, s.m.Tokenizer().BOS()),
		"eos_token":                   tokenText(s, s.m.Tokenizer().EOS()),
		"build_info":                  "exaone",
		"modalities":                  map[string]bool{"vision": false, "audio": false},
		"endpoint_slots":              false,
		"endpoint_props":              false,
		"endpoint_metrics":            s.opts.Metrics,
	})
}

func tokenText(s *Server, id int) string {
	if id < 0 {
		return ""
	}
	return s.m.Tokenizer().TokenText(id)
}

func defaultsJSON() map[string]any {
	var p sampling
	req := &generate.Request{}
	p.apply(req, 1, 1)
	sp := req.Sampling
	return map[string]any{
		"temperature": sp.Temperature, "top_k": sp.TopK, "top_p": sp.TopP, "min_p": sp.MinP,
		"repeat_penalty": sp.RepeatPenalty, "repeat_last_n": sp.RepeatLastN,
		"presence_penalty": sp.PresencePenalty, "frequency_penalty": sp.FrequencyPenalty,
		"max_tokens": -1, "n_predict": -1, "seed": -1, "ignore_eos": false, "stream": false,
		"samplers": []string{"penalties", "top_k", "top_p", "min_p", "temperature"},
	}
}

// metrics is Prometheus text with llama-server's metric names, so its
// dashboards work unchanged.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st := &s.stats
	busy, waiting := s.sched.counts()
	promptSec := float64(st.promptNanos.Load()) / 1e9
	predSec := float64(st.predictedNanos.Load()) / 1e9
	rate := func(n int64, sec float64) float64 {
		if sec == 0 {
			return 0
		}
		return float64(n) / sec
	}
	bs := s.batch.Stats()
	perDecode := 0.0
	if bs.Steps > 0 {
		perDecode = float64(bs.Sequences) / float64(bs.Steps)
	}
	var b strings.Builder
	metric := func(name, kind, help string, v any) {
		fmt.Fprintf(&b, "# HELP llamacpp:%s %s\n# TYPE llamacpp:%s %s\nllamacpp:%s %v\n", name, help, name, kind, name, v)
	}
	metric("prompt_tokens_total", "counter", "Number of prompt tokens processed.", st.promptTokens.Load())
	metric("prompt_seconds_total", "counter", "Prompt process time", promptSec)
	metric("tokens_predicted_total", "counter", "Number of generation tokens processed.", st.predictedTokens.Load())
	metric("tokens_predicted_seconds_total", "counter", "Predict process time", predSec)
	metric("n_decode_total", "counter", "Total number of forward passes.", bs.Steps)
	metric("n_tokens_max", "counter", "Largest observed n_tokens.", st.maxTokens.Load())
	metric("prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.", rate(st.promptTokens.Load(), promptSec))
	metric("predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s.", rate(st.predictedTokens.Load(), predSec))
	metric("requests_processing", "gauge", "Number of requests processing.", busy)
	metric("requests_deferred", "gauge", "Number of requests deferred.", waiting)
	metric("n_busy_slots_per_decode", "gauge", "Average number of busy slots per forward pass.", perDecode)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}
