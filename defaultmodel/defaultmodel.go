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
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
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
//
// A stamp file beside the model records its size and checksum after a
// successful conversion; a cached file that does not match its stamp (cut
// short by a full disk, damaged, or from a version without stamps) is
// converted again.
func Path() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, Name+"-bf16-"+Hash()+".gguf")
	if intact(dst) {
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
	if err := writeStamp(dst); err != nil {
		return "", fmt.Errorf("default model: %w", err)
	}
	return dst, nil
}

// stampPath is the file holding the size and checksum of the converted
// model at path.
func stampPath(path string) string { return path + ".ok" }

// fileSum returns the size and CRC-32C of the file at path: cheap enough
// to check on every start (a few ms for the bundled model), and enough to
// catch a file cut short or overwritten.
func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	n, err := io.Copy(h, f)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d %08x\n", n, h.Sum32()), nil
}

// intact reports whether path is a regular file matching its stamp.
func intact(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	want, err := os.ReadFile(stampPath(path))
	if err != nil || !strings.HasPrefix(string(want), strconv.FormatInt(st.Size(), 10)+" ") {
		return false
	}
	got, err := fileSum(path)
	return err == nil && got == string(want)
}

// writeStamp records the converted file's size and checksum, through a
// temp file and a rename so that a reader never sees half a stamp.
func writeStamp(path string) error {
	sum, err := fileSum(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(stampPath(path))+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(sum)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), stampPath(path))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
