//go:build !unix

package gguf

func umask() uint32 { return 0o022 }
