package main

import (
	"fmt"

	"github.com/exaone-go/exaone/model"
)

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// memoryReport is the verbose memory line: the peak resident set (what
// llama.cpp users compare, touched model pages included) and, where the
// system tells, what is resident now split into anonymous memory and
// mapped-file pages, which the kernel can drop under pressure. "" where
// nothing is measured.
func memoryReport() string {
	rss := peakRSS()
	if rss <= 0 {
		return ""
	}
	s := fmt.Sprintf("peak memory: %.1f MiB resident", mib(rss))
	if anon, file, ok := residentNow(); ok {
		s += fmt.Sprintf(" (now %.1f MiB anonymous + %.1f MiB of mapped files)", mib(anon), mib(file))
	}
	return s
}

// peakNote is ", peak memory N MiB resident" for the end of a summary line.
func peakNote() string {
	if rss := peakRSS(); rss > 0 {
		return fmt.Sprintf(", peak memory %.1f MiB resident", mib(rss))
	}
	return ""
}

// kvReport describes a session's KV cache as allocated; its pages become
// resident as positions are written.
func kvReport(s *model.Session) string {
	sliding, global := s.KVBytes()
	return fmt.Sprintf("kv cache: %.1f MiB (global layers) + %.1f MiB (sliding-window rings) for a context of %d", mib(int64(global)), mib(int64(sliding)), s.Ctx())
}
