package main

import "syscall"

// peakRSS is the most memory the process has had resident, in bytes (mapped
// model pages that were touched count, as they do for llama.cpp).
func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}
