//go:build !noasm

package asm

import "syscall"

// amxEnable asks Linux for the AMX tile data state (arch_prctl
// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA), which a process must hold
// before its first tile instruction; it reports whether it was granted.
// The grant is for the whole process and every thread it starts; the
// kernel then saves the tiles on signals and switches like the other
// registers (Go's signal stacks are large enough for them).
func amxEnable() bool {
	const archReqXcompPerm, xfeatureXtiledata = 0x1023, 18
	_, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0)
	return errno == 0
}
