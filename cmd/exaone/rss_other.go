//go:build !linux

package main

// peakRSS is not measured on this system.
func peakRSS() int64 { return 0 }

// residentNow is not measured on this system.
func residentNow() (anon, file int64, ok bool) { return 0, 0, false }
