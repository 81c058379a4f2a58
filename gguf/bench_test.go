package gguf

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// sparseModel writes a GGUF whose single F32 tensor spans size bytes; the
// data are a hole in the file, so making a multi-GiB file is instant.
func sparseModel(tb testing.TB, size uint64) string {
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("sparse-%d.gguf", size))
	h := (&header{}).start(1, 1).str("general.architecture").u32(uint32(TypeString)).str("exaone4")
	h.tensor("token_embd.weight", uint32(quant.F32), 0, 1024, size/4096).pad()
	if err := os.WriteFile(path, h.b, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(h.b))+int64(size)); err != nil {
		tb.Fatal(err)
	}
	return path
}

func rssBytes() int64 {
	fd, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer fd.Close()
	sc := bufio.NewScanner(fd)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkOpen shows that opening costs the same for 1 MiB and 4 GiB and
// that resident memory does not grow with the file: nothing of the tensor
// data is read at open.
func BenchmarkOpen(b *testing.B) {
	for _, size := range []uint64{1 << 20, 1 << 30, 4 << 30} {
		b.Run(fmt.Sprintf("size=%dMiB", size>>20), func(b *testing.B) {
			path := sparseModel(b, size)
			before := rssBytes()
			var grew int64
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if d, _ := f.TensorData("token_embd.weight"); uint64(len(d)) != size {
					b.Fatalf("tensor of %d bytes", len(d))
				}
				grew = max(grew, rssBytes()-before)
				f.Close()
			}
			b.ReportMetric(float64(grew), "rss-growth-bytes")
		})
	}
}

func TestSparseOpen(t *testing.T) {
	path := sparseModel(t, 1<<30)
	before := rssBytes()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, _ := f.TensorData("token_embd.weight")
	if len(d) != 1<<30 {
		t.Fatalf("tensor of %d bytes", len(d))
	}
	// A copying reader would have grown by a GiB; allow a few MiB of noise.
	if grew := rssBytes() - before; grew > 64<<20 {
		t.Fatalf("resident memory grew by %d bytes on open", grew)
	}
}
