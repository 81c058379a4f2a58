// Package webui is the chat page that `exaone serve` shows at /: one HTML
// file, one stylesheet and one script, embedded in the binary. The page
// talks only to the OpenAI-compatible API of the origin that served it
// (GET /v1/models, POST /v1/chat/completions with stream: true) and makes
// no other request: no fonts, icons or scripts from anywhere else.
//
// Put it in front of the API server, as `exaone serve` does:
//
//	http.Serve(ln, webui.With(srv))
//
// or mount it last, under the API routes, with mux.Handle("/", Handler()).
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"time"
)

//go:embed index.html style.css app.js
var files embed.FS

// The policy is a second fence behind the page's own care: even if model
// text reached the DOM as HTML, no inline handler would run and nothing
// could be loaded from, or sent to, another origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	name  string // for the error message only
	ctype string
	etag  string
	data  []byte
}

// assets maps each served path to its file, read and hashed once.
var assets = func() map[string]*asset {
	m := map[string]*asset{}
	for path, f := range map[string]struct{ name, ctype string }{
		"/":          {"index.html", "text/html; charset=utf-8"},
		"/style.css": {"style.css", "text/css; charset=utf-8"},
		"/app.js":    {"app.js", "text/javascript; charset=utf-8"},
	} {
		data, err := files.ReadFile(f.name)
		if err != nil {
			panic("webui: " + err.Error()) // cannot happen: the names are embedded above
		}
		sum := sha256.Sum256(data)
		m[path] = &asset{
			name:  f.name,
			ctype: f.ctype,
			etag:  `"` + hex.EncodeToString(sum[:12]) + `"`,
			data:  data,
		}
	}
	return m
}()

// Handler serves the page at GET / and its stylesheet and script; any other
// path is 404, so the server's own routes must be registered on more
// specific patterns. HEAD, If-None-Match (304) and ranges work.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

// Serves reports whether Handler answers r with the page or an asset: a
// GET or HEAD of one of its paths. A server with a catch-all route of its
// own (a JSON 404) hands these requests over and keeps the rest.
func Serves(r *http.Request) bool {
	_, ok := assets[r.URL.Path]
	return ok && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// With serves the page's paths (those Serves picks) and hands every other
// request to api, whose own catch-all (a JSON 404) thus stays in charge of
// unknown paths. It is how `exaone serve` composes the page and the server,
// and how the browser test composes them too.
func With(api http.Handler) http.Handler {
	page := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Serves(r) {
			page.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

func serve(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	// The URLs stay the same from one build to the next, so a max-age would
	// show a stale page after an upgrade; revalidating costs one 304.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	// A zero time leaves Last-Modified out: the ETag is the validator.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
}
