package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// peakRSS is the most memory the process has had resident, in bytes (mapped
// model pages that were touched count, as they do for llama.cpp).
func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// residentNow splits what is resident now into anonymous memory (heap, KV
// cache: what the process really needs) and pages of mapped files (the
// model, which the kernel can drop and read again), in bytes; ok is false
// where /proc does not tell.
func residentNow() (anon, file int64, ok bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	var seen int
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, found := bytes.Cut(line, []byte(":"))
		if !found {
			continue
		}
		var dst *int64
		switch string(k) {
		case "RssAnon":
			dst = &anon
		case "RssFile":
			dst = &file
		default:
			continue
		}
		f := bytes.Fields(v) // "123 kB"
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, 0, false
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		*dst = n << 10
		seen++
	}
	return anon, file, seen == 2
}
