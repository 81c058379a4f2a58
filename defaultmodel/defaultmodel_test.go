package defaultmodel

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/exaone-go/exaone/model"
)

// Concurrent first uses convert once each into a temp file and rename:
// every caller gets the same complete file, no temp file is left behind,
// and a later call reuses the file.
func TestPathConcurrentFirstUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv("EXAONE_CACHE", dir)
	const n = 4
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { paths[i], errs[i] = Path() })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if paths[i] != paths[0] {
			t.Fatalf("paths differ: %s, %s", paths[i], paths[0])
		}
	}
	if filepath.Dir(paths[0]) != dir || !strings.Contains(filepath.Base(paths[0]), Hash()) {
		t.Errorf("path %s: want a file named with the hash %s in %s", paths[0], Hash(), dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{filepath.Base(paths[0]), filepath.Base(paths[0]) + ".ok"}; !slices.Equal(names, want) {
		t.Errorf("cache holds %v, want only the model and its stamp %v", names, want)
	}
	m, err := model.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Layers != 8 || m.Window != 64 {
		t.Errorf("layers %d, window %d: not tiny-hybrid-kjv", m.Config.Layers, m.Window)
	}
	m.Close()

	st, _ := os.Stat(paths[0])
	again, err := Path()
	if err != nil || again != paths[0] {
		t.Fatalf("second call: %s, %v", again, err)
	}
	if st2, _ := os.Stat(again); !os.SameFile(st, st2) {
		t.Error("the cached file was converted again")
	}
}

// A cached model cut short (a full disk, a killed copy) or overwritten in
// place is converted again, not handed to the loader; so is one without a
// stamp (a cache from before stamps).
func TestPathRebuildsDamaged(t *testing.T) {
	t.Setenv("EXAONE_CACHE", filepath.Join(t.TempDir(), "cache"))
	p, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	damage := map[string]func(){
		"truncated":     func() { os.Truncate(p, int64(len(good)/2)) },
		"overwritten":   func() { b := slices.Clone(good); b[len(b)/2] ^= 0xff; os.WriteFile(p, b, 0o644) },
		"without stamp": func() { os.Remove(stampPath(p)) },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			f()
			again, err := Path()
			if err != nil || again != p {
				t.Fatalf("Path: %s, %v", again, err)
			}
			got, err := os.ReadFile(p)
			if err != nil || !slices.Equal(got, good) {
				t.Fatalf("the cached file was not rebuilt (%d bytes, want %d)", len(got), len(good))
			}
			if !intact(p) {
				t.Error("no valid stamp after the rebuild")
			}
		})
	}
}
