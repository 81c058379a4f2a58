// Command exaone converts, inspects and runs EXAONE 4.0 models stored as GGUF.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/asm"
)

// commands is filled by the init functions of the files that define each
// subcommand, so that adding a command never needs an edit here.
var commands []*cli.Command

// version is the release; builds from a checkout say "devel".
var version = "devel"

func main() {
	os.Exit(realMain(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// realMain runs the command and returns its exit status: 0, 1 for an
// error (reported on one line), or the status an exitError carries.
func realMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out := &checkedWriter{w: stdout}
	app := newApp(stdin, out, stderr)
	err := app.Run(args)
	// Output that never arrived is a failure even when the work succeeded:
	// `exaone perplexity ... > /dev/full` must not look like a result.
	if werr := out.Err(); werr != nil {
		fmt.Fprintln(stderr, "exaone: writing standard output:", werr)
		return 1
	}
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "exaone:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "exaone:", oneLine(err))
	return 1
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	for _, c := range commands {
		c.OnUsageError = usageError
	}
	// -v belongs to run's --verbose; the version is --version or -V.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "print the version, commit, Go version and kernels"}
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprint(c.App.Writer, versionText()) }
	return &cli.App{
		Name:                   "exaone",
		Usage:                  "run EXAONE 4.0 language models on the CPU",
		Version:                version,
		Commands:               commands,
		UseShortOptionHandling: false,
		Reader:                 stdin,
		Writer:                 stdout,
		ErrWriter:              stderr,
		OnUsageError:           usageError,
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(c.App.ErrWriter, "exaone: no command %q (see 'exaone help')\n", name)
			cli.OsExiter(1)
		},
	}
}

// usageError makes a bad flag one line with a pointer to the help, rather
// than the whole help text.
func usageError(c *cli.Context, err error, isSub bool) error {
	name := "exaone"
	if isSub && c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return fmt.Errorf("%w (see '%s --help')", err, name)
}

// versionText is what --version prints: enough to reproduce a report.
func versionText() string {
	commit, dirty := "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
	}
	return fmt.Sprintf("exaone %s\ncommit: %s%s\ngo: %s %s/%s\nkernels: %s\n",
		version, commit, dirty, runtime.Version(), runtime.GOOS, runtime.GOARCH, asm.Path())
}

// exitError ends the command with a given status; msg, if any, is printed
// as the one line of error.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.msg
}

// checkedWriter remembers the first write error, so that a full disk or a
// closed pipe on standard output ends in an error instead of exit status 0.
// After an error it swallows further writes; onErr, if set, is told once.
type checkedWriter struct {
	mu    sync.Mutex
	w     io.Writer
	err   error
	onErr func()
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		c.err = err
		if c.onErr != nil {
			go c.onErr()
		}
	}
	return n, err
}

// Err returns the first write error.
func (c *checkedWriter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// setOnErr registers f to be called once on the first write error (now,
// if one happened already).
func (c *checkedWriter) setOnErr(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onErr = f
	if c.err != nil {
		go f()
	}
}
