package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func do(t *testing.T, h http.Handler, method, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandlerServesAssets(t *testing.T) {
	h := Handler()
	etags := map[string]string{}
	for path, want := range map[string]struct{ file, ctype string }{
		"/":          {"index.html", "text/html"},
		"/style.css": {"style.css", "text/css"},
		"/app.js":    {"app.js", "text/javascript"},
	} {
		data, err := files.ReadFile(want.file)
		if err != nil {
			t.Fatal(err)
		}
		res := do(t, h, "GET", path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(body) != string(data) {
			t.Fatalf("GET %s: %d, %d bytes; want 200 and the %d bytes of %s", path, res.StatusCode, len(body), len(data), want.file)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, want.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, ct, want.ctype)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		etag := res.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
			t.Fatalf("GET %s: ETag %q, want a quoted content hash", path, etag)
		}
		etags[etag] = path

		res = do(t, h, "GET", path, "If-None-Match", etag)
		body, _ = io.ReadAll(res.Body)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("GET %s If-None-Match its ETag: %d with %d bytes, want 304 and none", path, res.StatusCode, len(body))
		}
		res = do(t, h, "GET", path, "If-None-Match", `"stale"`)
		if res.StatusCode != 200 {
			t.Errorf("GET %s If-None-Match another ETag: %d, want 200", path, res.StatusCode)
		}

		res = do(t, h, "HEAD", path)
		body, _ = io.ReadAll(res.Body)
		if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("Content-Length") != strconv.Itoa(len(data)) {
			t.Errorf("HEAD %s: %d, %d bytes, Content-Length %q; want 200, none, %d",
				path, res.StatusCode, len(body), res.Header.Get("Content-Length"), len(data))
		}
	}
	if len(etags) != 3 {
		t.Errorf("ETags %v: want one per file", etags)
	}
}

func TestHandlerRefusesTheRest(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/nope", "/index.html", "/app.js/", "/v1/models", "/style.css.map", "/../app.js"} {
		if res := do(t, h, "GET", path); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		res := do(t, h, method, "/")
		if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d, Allow %q; want 405, GET, HEAD", method, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

// The page must load nothing from elsewhere, and model text must have no
// way into the DOM as HTML: these are the only doors for either.
func TestPageIsSelfContained(t *testing.T) {
	for _, name := range []string{"index.html", "style.css", "app.js"} {
		data, _ := files.ReadFile(name)
		for _, bad := range []string{"http:", "https:", "//cdn", "url(", "@import", "@font-face"} {
			if strings.Contains(string(data), bad) {
				t.Errorf("%s contains %q: the page must make no request but to its own origin", name, bad)
			}
		}
	}
	js, _ := files.ReadFile("app.js")
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "DOMParser", "createContextualFragment"} {
		if strings.Contains(string(js), sink) {
			t.Errorf("app.js uses %s: text must reach the DOM through textContent only", sink)
		}
	}
	// Every reference of the page is one of the paths the handler serves.
	page, _ := files.ReadFile("index.html")
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) != 2 {
		t.Errorf("index.html references %v, want the stylesheet and the script", refs)
	}
	for _, m := range refs {
		if _, ok := assets["/"+m[1]]; !ok {
			t.Errorf("index.html references %q, which the handler does not serve", m[1])
		}
	}
}

func TestServes(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/", true}, {"HEAD", "/", true}, {"GET", "/app.js", true}, {"HEAD", "/style.css", true},
		{"POST", "/", false}, {"GET", "/v1/models", false}, {"GET", "/nope", false}, {"POST", "/v1/chat/completions", false},
	} {
		if got := Serves(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("Serves(%s %s) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

func TestWithHandsTheRestToTheAPI(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot) // the API's answer, whatever it is
	})
	h := With(api)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200}, {"HEAD", "/app.js", 200}, {"GET", "/style.css", 200},
		{"POST", "/", http.StatusTeapot}, {"GET", "/v1/models", http.StatusTeapot},
		{"GET", "/nope", http.StatusTeapot}, {"POST", "/v1/chat/completions", http.StatusTeapot},
	} {
		if res := do(t, h, c.method, c.path); res.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, res.StatusCode, c.status)
		}
	}
}
