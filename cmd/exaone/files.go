package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxTextBytes bounds a text input (-f, standard input): the tokenizer and
// the prompt hold it whole, so /dev/zero or an endless pipe must end in an
// error rather than in all the memory of the machine.
const maxTextBytes = 64 << 20

// errTooLarge is wrapped by the error for a text input over maxTextBytes.
var errTooLarge = errors.New("larger than the 64 MiB limit for text input")

// readLimited reads r whole, up to maxTextBytes.
func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxTextBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxTextBytes {
		return nil, fmt.Errorf("%s is %w", name, errTooLarge)
	}
	return b, nil
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// checkInputFile refuses what cannot be a model file before anything opens
// it: opening a FIFO blocks until a writer comes, and a device reads
// without end. dirOK lets a Hugging Face directory through.
func checkInputFile(path, what string, dirOK bool) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: no such file", what, path)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case st.IsDir() && dirOK, st.Mode().IsRegular():
		return nil
	case st.IsDir():
		return fmt.Errorf("%s %s is a directory (convert a Hugging Face checkpoint first: exaone convert %s -o model.gguf)", what, path, path)
	}
	return fmt.Errorf("%s %s is %s, not a regular file", what, path, fileKind(st.Mode()))
}

// checkOutputFile is the check before writing path: a missing path is
// fine, an existing regular file only with force (flag names the option
// that allows it), and anything else never: renaming over a device node or
// a FIFO would replace it with a regular file.
func checkOutputFile(path string, force bool, flag string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is %s: only a regular file is replaced", path, fileKind(st.Mode()))
	case !force:
		return fmt.Errorf("%s exists (use %s to overwrite)", path, flag)
	}
	return nil
}

// checkThreads validates -t and caps it at the CPUs the machine has, with
// a warning: the worker pool's threads spin, so more of them than CPUs
// only take turns (much slower, not faster).
func checkThreads(t int, log io.Writer) (int, error) {
	if t < 0 {
		return 0, fmt.Errorf("-t %d: the thread count must not be negative (0: one per physical core)", t)
	}
	if n := runtime.NumCPU(); t > n {
		fmt.Fprintf(log, "exaone: warning: -t %d is more than the %d CPUs of this machine; using %d\n", t, n, n)
		return n, nil
	}
	return t, nil
}

// writeFileAtomic writes data to path through a temp file beside it,
// synced and renamed, so path is either untouched or complete.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
