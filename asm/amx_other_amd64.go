//go:build !noasm && !linux

package asm

// amxEnable reports false: the tile state is asked for on Linux only.
func amxEnable() bool { return false }
