// Package defaultmodel bundles tiny-hybrid-kjv, a small EXAONE 4 hybrid
// checkpoint trained on the King James Bible, so that `exaone run` and
// `exaone perplexity` work on a fresh machine without a download.
//
// The Hugging Face files (bf16 safetensors, 15 MB) are embedded rather than
// a GGUF: the repository keeps one copy of the weights, and converting them
// takes a fraction of a second. The converted file is cached and reused.
package defaultmodel

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/exaone-go/exaone/convert"
)

// Name is the bundled model's name (general.name of the converted file).
const Name = "tiny-hybrid-kjv"

//go:embed tiny-hybrid-kjv
var files embed.FS

// FS returns the embedded Hugging Face files, rooted at the model directory.
func FS() fs.FS {
	sub, err := fs.Sub(files, Name)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

var (
	hashOnce sync.Once
	hash     string
)

// Hash is a digest of every embedded file (names and contents), so that a
// binary built with a changed model never picks up a stale conversion.
func Hash() string {
	hashOnce.Do(func() {
		h := sha256.New()
		var names []string
		fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, p)
			}
			return nil
		})
		sort.Strings(names)
		for _, n := range names {
			f, err := FS().Open(n)
			if err != nil {
				panic(err)
			}
			fmt.Fprintf(h, "%s\x00", n)
			io.Copy(h, f)
			f.Close()
		}
		hash = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return hash
}

// CacheDir is where converted files live: $EXAONE_CACHE, or exaone under the
// user's cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv("EXAONE_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("default model: no cache directory (set EXAONE_CACHE): %w", err)
	}
	return filepath.Join(d, "exaone"), nil
}

// Path returns the bf16 GGUF of the bundled model, converting it into the
// cache directory on first use. Concurrent first uses are safe: each
// converts to its own temporary file and renames it into place, and the
// results are identical.
func Path() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, Name+"-bf16-"+Hash()+".gguf")
	if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("default model: %w", err)
	}
	// convert.Convert already writes a temp file and renames it; Force
	// lets a racing process's finished file be replaced by an identical one.
	if err := convert.Convert(FS(), dst, convert.Options{Type: "bf16", Name: Name, Force: true}); err != nil {
		return "", fmt.Errorf("default model: %w", err)
	}
	return dst, nil
}
