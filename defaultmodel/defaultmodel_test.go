package defaultmodel

import (
	"os"
	"path/filepath"
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
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want only the model", names)
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
