// Command bench-compare runs llama.cpp's own tools and exaone on the same
// GGUF files in one run, alternating test by test, and writes a markdown
// report of tokens/s with ratios (make bench-compare):
//
//  1. llama-bench -o json against exaone bench -o json: pp, tg and tg at
//     depth, for synthetic EXAONE-4.0-1.2B files and 32B-layer-shaped
//     4-layer files;
//  2. llama-batched-bench -npl against exaone bench --parallel: aggregate
//     decode speed with N sequences decoded together;
//  3. K streaming clients against llama-server -np K and exaone serve -np K:
//     tokens/s of all streams together and the time between tokens.
//
// llama.cpp is the native build in ../shared/anchors/llama.cpp-b9749 unless
// LLAMA_CPP_DIR (or -llama) names another folder holding llama-bench,
// llama-batched-bench and llama-server. The synthetic files are written
// once into .bench/ (git ignores it) and reused. Every setting is a flag
// and an environment variable of the same name in capitals (TYPES,
// THREADS, REPS, QUICK, ...): see -help.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	llamaDir, exaone, logDir, out string
	types, bigTypes, batchedTypes []string
	servedTypes                   []string
	tests, bigTests               []testSpec
	threads, reps                 int
	npl                           []int
	npp, ntg                      int
	clients                       []int
	maxTokens, slotCtx            int
	sections                      map[string]bool
	timeout, loadTimeout          time.Duration
	quick, resume                 bool
}

func (c *config) tool(name string) string { return filepath.Join(c.llamaDir, name) }

const defaultOut = "docs/bench-compare.md"

func main() {
	if err := mainErr(); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "bench-compare: interrupted (the tools and servers it started are stopped)")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "bench-compare:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

// setting declares a flag whose default comes from the environment variable
// of the same name in capitals, else from the quick or the full default.
func setting(fs *flag.FlagSet, quick bool, name, full, quickDef, usage string) *string {
	env := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	def := full
	if quick {
		def = quickDef
	}
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	return fs.String(name, def, usage+" (env "+env+")")
}

func parseConfig(args []string) (*config, error) {
	// Quick mode changes the other defaults, so it is known first.
	quick := os.Getenv("QUICK") != "" && os.Getenv("QUICK") != "0"
	for _, a := range args {
		if a == "-quick" || a == "--quick" || a == "-quick=true" || a == "--quick=true" {
			quick = true
		}
	}
	fs := flag.NewFlagSet("bench-compare", flag.ContinueOnError)
	fs.Bool("quick", quick, "smoke run: one small file, short tests, one repetition (env QUICK=1)")
	resumeFlag := fs.Bool("resume", false, "reuse the rows an interrupted run with the same commit and settings finished (env RESUME=1)")
	llama := setting(fs, quick, "llama-cpp-dir", "../shared/anchors/llama.cpp-b9749", "../shared/anchors/llama.cpp-b9749", "folder of llama.cpp's llama-bench, llama-batched-bench and llama-server")
	types := setting(fs, quick, "types", "q4_0 q8_0 q4_k_m", "q4_0", "quantizations of the synthetic 1.2B files")
	big := setting(fs, quick, "big-types", "q4_k_m q4_0", "", "quantizations of the 32B-layer-shaped 4-layer files (empty: none)")
	tests := setting(fs, quick, "tests", "pp512,tg128,tg128@d4096", "pp64,tg16", "llama-bench tests on the 1.2B files")
	bigTests := setting(fs, quick, "big-tests", "pp512,tg128", "pp64,tg16", "llama-bench tests on the 32B-layer files")
	threads := setting(fs, quick, "threads", strconv.Itoa(runtime.NumCPU()), strconv.Itoa(runtime.NumCPU()), "threads of both runtimes")
	reps := setting(fs, quick, "reps", "3", "1", "timed repetitions of each test (after a warm-up)")
	batched := setting(fs, quick, "batched-types", "q4_k_m", "q4_0", "1.2B files of the batched rows (empty: none)")
	npl := setting(fs, quick, "npl", "1,2,4,8", "1,2", "sequence counts of the batched rows")
	npp := setting(fs, quick, "npp", "128", "32", "prompt tokens of each sequence in the batched rows")
	ntg := setting(fs, quick, "ntg", "64", "8", "generated tokens of each sequence in the batched rows")
	served := setting(fs, quick, "served-types", "q4_k_m", "q4_0", "1.2B files of the served rows (empty: none)")
	clients := setting(fs, quick, "clients", "1,4", "1,2", "concurrent streaming clients (and server slots) of the served rows")
	maxTokens := setting(fs, quick, "max-tokens", "64", "8", "tokens generated per served request")
	slotCtx := setting(fs, quick, "slot-ctx", "1024", "512", "context of each server slot")
	sections := setting(fs, quick, "sections", "bench,batched,served", "bench,batched,served", "sections to run")
	timeout := setting(fs, quick, "timeout", "1800", "600", "seconds any one tool run or served round may take")
	out := setting(fs, quick, "report", defaultOut, ".bench/bench-compare-quick.md", "markdown report written here too (the default also refreshes README.md's table)")
	// Errors stay one line; -help prints the settings.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "usage: make bench-compare [SETTING=value ...], or go run ./cmd/bench-compare [-setting value ...]\n")
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("no arguments expected, got %q (settings are flags or environment variables)", fs.Arg(0))
	}
	resume := os.Getenv("RESUME") != "" && os.Getenv("RESUME") != "0"
	cfg := &config{llamaDir: *llama, out: *out, quick: quick, resume: resume || *resumeFlag, loadTimeout: 5 * time.Minute, sections: map[string]bool{}}
	var err error
	cfg.types, cfg.bigTypes = strings.Fields(*types), strings.Fields(*big)
	cfg.batchedTypes, cfg.servedTypes = strings.Fields(*batched), strings.Fields(*served)
	for _, t := range append(append(append(cfg.types, cfg.bigTypes...), cfg.batchedTypes...), cfg.servedTypes...) {
		if !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(t) {
			return nil, fmt.Errorf("type %q: want a quantization name such as q4_0", t)
		}
	}
	if cfg.tests, err = parseTests(*tests); err != nil {
		return nil, err
	}
	if cfg.bigTests, err = parseTests(*bigTests); err != nil {
		return nil, err
	}
	ints := []struct {
		name string
		s    string
		dst  *int
	}{{"threads", *threads, &cfg.threads}, {"reps", *reps, &cfg.reps}, {"npp", *npp, &cfg.npp}, {"ntg", *ntg, &cfg.ntg},
		{"max-tokens", *maxTokens, &cfg.maxTokens}, {"slot-ctx", *slotCtx, &cfg.slotCtx}}
	for _, v := range ints {
		l, err := parseInts(v.name, v.s)
		if err != nil {
			return nil, err
		}
		if len(l) != 1 {
			return nil, fmt.Errorf("%s: one number, got %q", v.name, v.s)
		}
		*v.dst = l[0]
	}
	secs, err := parseInts("timeout", *timeout)
	if err != nil || len(secs) != 1 {
		return nil, fmt.Errorf("timeout: %q is not a number of seconds", *timeout)
	}
	cfg.timeout = time.Duration(secs[0]) * time.Second
	if cfg.npl, err = parseInts("npl", *npl); err != nil {
		return nil, err
	}
	if cfg.clients, err = parseInts("clients", *clients); err != nil {
		return nil, err
	}
	for _, s := range strings.FieldsFunc(*sections, func(r rune) bool { return r == ',' || r == ' ' }) {
		if s != "bench" && s != "batched" && s != "served" {
			return nil, fmt.Errorf("sections: %q is not bench, batched or served", s)
		}
		cfg.sections[s] = true
	}
	if cfg.slotCtx < 64+cfg.maxTokens {
		return nil, fmt.Errorf("slot-ctx %d is too small for the prompt and %d tokens", cfg.slotCtx, cfg.maxTokens)
	}
	return cfg, nil
}

// repoRoot is the folder of the exaone module's go.mod, at or above the
// working directory.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/exaone-go/exaone\n")) {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", errors.New("run it inside the exaone repository (make bench-compare)")
		}
		d = up
	}
}

func mainErr() error {
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	hint := "set LLAMA_CPP_DIR to a folder holding a llama.cpp build's tools"
	var tools []string
	if cfg.sections["bench"] {
		tools = append(tools, "llama-bench")
	}
	if cfg.sections["batched"] && len(cfg.batchedTypes) > 0 {
		tools = append(tools, "llama-batched-bench")
	}
	if cfg.sections["served"] && len(cfg.servedTypes) > 0 {
		tools = append(tools, "llama-server")
	}
	for _, t := range tools {
		if err := need(cfg.tool(t), hint); err != nil {
			return err
		}
	}
	// A signal kills every child (their process groups) and ends the run.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	const dir = ".bench"
	cfg.logDir = filepath.Join(dir, "logs")
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		return err
	}
	cfg.exaone = filepath.Join(dir, "exaone")
	logf("building %s", cfg.exaone)
	gobin := os.Getenv("GO")
	if gobin == "" {
		gobin = "go"
	}
	os.Setenv("CGO_ENABLED", "0")
	if _, err := run(ctx, 10*time.Minute, gobin, "build", "-o", cfg.exaone, "./cmd/exaone"); err != nil {
		return err
	}

	rep := &report{cfg: cfg}
	rep.start(ctx)
	if rep.rows, err = openRows(filepath.Join(dir, "rows.jsonl"), cfg.resume); err != nil {
		return err
	}
	file := func(shape, t string) (string, error) {
		f := filepath.Join(dir, fmt.Sprintf("exaone4-%s-synthetic-%s.gguf", shape, t))
		if _, err := os.Stat(f); err == nil {
			return f, nil
		}
		logf("writing %s (once; later runs reuse it)", f)
		_, err := run(ctx, cfg.timeout, cfg.exaone, "bench", "--write-synthetic", shape, "--type", t, "--out", f)
		return f, err
	}
	if cfg.sections["bench"] {
		for _, set := range []struct {
			shape string
			types []string
			tests []testSpec
		}{{"1.2b", cfg.types, cfg.tests}, {"32b-4layers", cfg.bigTypes, cfg.bigTests}} {
			for _, t := range set.types {
				f, err := file(set.shape, t)
				if err != nil {
					return err
				}
				for _, test := range set.tests {
					if err := rep.benchRow(ctx, f, test); err != nil {
						return err
					}
				}
			}
		}
	}
	if cfg.sections["batched"] {
		for _, t := range cfg.batchedTypes {
			f, err := file("1.2b", t)
			if err != nil {
				return err
			}
			for _, n := range cfg.npl {
				if err := rep.batchedRow(ctx, f, n); err != nil {
					return err
				}
			}
		}
	}
	if cfg.sections["served"] {
		for _, t := range cfg.servedTypes {
			f, err := file("1.2b", t)
			if err != nil {
				return err
			}
			for _, k := range cfg.clients {
				if err := rep.servedRow(ctx, f, k); err != nil {
					return err
				}
			}
		}
	}
	doc := rep.finish(ctx)
	fmt.Print(doc)
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.out, []byte(doc), 0o644); err != nil {
		return err
	}
	logf("wrote %s", cfg.out)
	if cfg.out == defaultOut {
		if err := updateReadme("README.md", doc); err != nil {
			return err
		}
	}
	if rep.failed > 0 {
		return fmt.Errorf("%d row(s) failed: see the table", rep.failed)
	}
	return nil
}

// The README's copy of the report sits between these markers.
const (
	readmeBegin = "<!-- bench-compare: begin (written by make bench-compare) -->\n"
	readmeEnd   = "<!-- bench-compare: end -->\n"
)

// updateReadme replaces the README's copy of the report, if it has the
// markers (a README without them is left alone).
func updateReadme(path, doc string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i := strings.Index(s, readmeBegin)
	j := strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		logf("%s has no bench-compare markers: not updated", path)
		return nil
	}
	s = s[:i+len(readmeBegin)] + doc + s[j:]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return err
	}
	logf("refreshed the table in %s", path)
	return nil
}

// report gathers the rows and the machine's description.
type report struct {
	cfg                       *config
	machine                   string
	llamaVersion, kernels     string
	loadStart                 string
	rows                      *rowStore
	sweeps                    []float64
	loads                     []string // 1-minute load average before each row
	bench, batched, served    []string
	failed, turn              int
	startTime                 time.Time
	exaoneCommit, goVersion   string
	benchHdr, batHdr, servHdr bool
}

func (r *report) start(ctx context.Context) {
	r.startTime = time.Now().UTC()
	r.loadStart = loadAvg()
	r.machine = cpuModel()
	r.goVersion = runtime.Version()
	if b, err := run(ctx, time.Minute, "git", "rev-parse", "--short", "HEAD"); err == nil {
		r.exaoneCommit = strings.TrimSpace(string(b))
		if b, err := run(ctx, time.Minute, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && len(bytes.TrimSpace(b)) > 0 {
			r.exaoneCommit += " (with uncommitted changes)"
		}
	}
	for _, t := range []string{"llama-server", "llama-bench", "llama-batched-bench"} {
		// --version prints to stderr and exits 0 on these builds.
		cmd := exec.CommandContext(ctx, r.cfg.tool(t), "--version")
		b, _ := cmd.CombinedOutput()
		if m := regexp.MustCompile(`version: (\S+ \(\w+\))`).FindSubmatch(b); m != nil {
			r.llamaVersion = "build " + string(m[1])
			break
		}
	}
	r.sweep(ctx)
}

// sweep measures the memory read bandwidth now: decode speed follows it,
// and on a shared machine it moves with the neighbours.
func (r *report) sweep(ctx context.Context) {
	b, err := run(ctx, 5*time.Minute, r.cfg.exaone, "bench", "--bandwidth", "-t", strconv.Itoa(r.cfg.threads), "-r", "3")
	if err != nil {
		logf("bandwidth: %v", err)
		return
	}
	if m := regexp.MustCompile(`([0-9.]+) GB/s`).FindSubmatch(b); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		r.sweeps = append(r.sweeps, v)
	}
}

// nextTurn says which side of the next row goes first, and notes the
// machine's load before it.
func (r *report) nextTurn() bool {
	if f := strings.Fields(loadAvg()); len(f) > 0 {
		r.loads = append(r.loads, f[0])
	}
	r.turn++
	return r.turn%2 == 0
}

func pm(v []float64) string {
	m, s := meanSD(v)
	if math.IsNaN(m) {
		return "-"
	}
	return fmt.Sprintf("%.2f ± %.2f", m, s)
}

func ratio(ours, theirs []float64) string {
	a, _ := meanSD(ours)
	b, _ := meanSD(theirs)
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// both runs the two sides of a row, in the order given (alternated from
// row to row, so that neither always runs on the machine the other left).
func both(oursFirst bool, ours, theirs func() error) (errOurs, errTheirs error) {
	if oursFirst {
		errOurs = ours()
		errTheirs = theirs()
	} else {
		errTheirs = theirs()
		errOurs = ours()
	}
	return
}

// fail turns a row's errors into a table cell; a signal, or a tool built
// for another CPU, ends the run.
func (r *report) fail(ctx context.Context, errs ...error) (string, error) {
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	var msgs []string
	for _, e := range errs {
		if errors.Is(e, errWrongCPU) {
			return "", e
		}
		if e != nil {
			msgs = append(msgs, strings.ReplaceAll(e.Error(), "|", "/"))
			logf("%v", e)
		}
	}
	if len(msgs) == 0 {
		return "", nil
	}
	r.failed++
	return "failed: " + strings.Join(msgs, "; "), nil
}

func fileSize(f string) string {
	st, err := os.Stat(f)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.0f MiB", float64(st.Size())/(1<<20))
}

func (r *report) benchRow(ctx context.Context, f string, t testSpec) error {
	c := r.cfg
	key := r.rowKey("bench", f, t.Name)
	if row, ok := r.reuse(key); ok {
		r.bench = append(r.bench, row)
		return nil
	}
	logf("%s %s: llama-bench and exaone bench", filepath.Base(f), t.Name)
	common := []string{"-m", f, "-p", strconv.Itoa(t.P), "-n", strconv.Itoa(t.N), "-d", strconv.Itoa(t.D),
		"-t", strconv.Itoa(c.threads), "-r", strconv.Itoa(c.reps), "-o", "json"}
	var ours, theirs []float64
	eo, et := both(r.nextTurn(), func() error {
		out, err := run(ctx, c.timeout, c.exaone, append([]string{"bench"}, common...)...)
		if err != nil {
			return err
		}
		rows, err := parseBenchJSON(out)
		if err != nil {
			return fmt.Errorf("exaone bench: %v", err)
		}
		ours = rows[0].SamplesTs
		if r.kernels == "" {
			r.kernels = rows[0].Backends
		}
		return nil
	}, func() error {
		out, err := run(ctx, c.timeout, c.tool("llama-bench"), common...)
		if err != nil {
			return err
		}
		rows, err := parseBenchJSON(out)
		if err != nil {
			return fmt.Errorf("llama-bench: %v", err)
		}
		theirs = rows[0].SamplesTs
		return nil
	})
	msg, err := r.fail(ctx, et, eo)
	if err != nil {
		return err
	}
	row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", filepath.Base(f), fileSize(f), t.Name, pm(theirs), pm(ours), ratio(ours, theirs))
	if msg != "" {
		row = fmt.Sprintf("| %s | %s | %s | %s | | |", filepath.Base(f), fileSize(f), t.Name, msg)
	} else {
		r.keep(key, row)
	}
	logf("%s", row)
	r.bench = append(r.bench, row)
	return nil
}

func (r *report) batchedRow(ctx context.Context, f string, n int) error {
	c := r.cfg
	key := r.rowKey("batched", f, fmt.Sprintf("pp%d tg%d B%d", c.npp, c.ntg, n))
	if row, ok := r.reuse(key); ok {
		r.batched = append(r.batched, row)
		return nil
	}
	logf("%s batched, %d sequences: llama-batched-bench and exaone bench --parallel", filepath.Base(f), n)
	var oursPP, oursTG, theirPP, theirTG []float64
	eo, et := both(r.nextTurn(), func() error {
		out, err := run(ctx, c.timeout, c.exaone, "bench", "-m", f, "--parallel", strconv.Itoa(n),
			"-p", strconv.Itoa(c.npp), "-n", strconv.Itoa(c.ntg), "-t", strconv.Itoa(c.threads), "-r", strconv.Itoa(c.reps), "-o", "json")
		if err != nil {
			return err
		}
		rows, err := parseBenchJSON(out)
		if err != nil {
			return fmt.Errorf("exaone bench --parallel: %v", err)
		}
		if rows[0].NParallel != n {
			return fmt.Errorf("exaone bench --parallel: a row of %d sequences, want %d", rows[0].NParallel, n)
		}
		oursPP, oursTG = rows[0].SamplesPPTs, rows[0].SamplesTs
		return nil
	}, func() error {
		// -npl N,N,... repeats the test within one process (one warm-up):
		// llama-batched-bench has no -r. Its context holds every
		// sequence's prompt and generated tokens, with room to spare.
		npl := strings.TrimSuffix(strings.Repeat(strconv.Itoa(n)+",", c.reps), ",")
		ctxSize := n*(c.npp+c.ntg) + 256
		out, err := run(ctx, c.timeout, c.tool("llama-batched-bench"), "-m", f, "-c", strconv.Itoa(ctxSize),
			"-npp", strconv.Itoa(c.npp), "-ntg", strconv.Itoa(c.ntg), "-npl", npl, "-t", strconv.Itoa(c.threads),
			"--output-format", "jsonl")
		if err != nil {
			return err
		}
		rows, err := parseBatchedJSONL(out)
		if err != nil {
			return fmt.Errorf("llama-batched-bench: %v", err)
		}
		for _, row := range rows {
			if row.PL == n {
				theirPP = append(theirPP, row.SpeedPP)
				theirTG = append(theirTG, row.SpeedTG)
			}
		}
		if len(theirTG) == 0 {
			return fmt.Errorf("llama-batched-bench: no row of %d sequences", n)
		}
		return nil
	})
	msg, err := r.fail(ctx, et, eo)
	if err != nil {
		return err
	}
	row := fmt.Sprintf("| %s | %d | %d | %d | %s | %s | %s | %s | %s |", filepath.Base(f), c.npp, c.ntg, n,
		pm(theirPP), pm(oursPP), pm(theirTG), pm(oursTG), ratio(oursTG, theirTG))
	if msg != "" {
		row = fmt.Sprintf("| %s | %d | %d | %d | %s | | | | |", filepath.Base(f), c.npp, c.ntg, n, msg)
	} else {
		r.keep(key, row)
	}
	logf("%s", row)
	r.batched = append(r.batched, row)
	return nil
}

func tbt(f servedFigures) string {
	if len(f.gaps) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f / %.1f", percentile(f.gaps, 50), percentile(f.gaps, 99))
}

func (r *report) servedRow(ctx context.Context, f string, k int) error {
	c := r.cfg
	key := r.rowKey("served", f, fmt.Sprintf("K%d tokens%d ctx%d", k, c.maxTokens, c.slotCtx))
	if row, ok := r.reuse(key); ok {
		r.served = append(r.served, row)
		return nil
	}
	logf("%s served, %d clients: llama-server and exaone serve", filepath.Base(f), k)
	r.nextTurn() // both servers take turns inside
	ours, theirs, err := servedCompare(ctx, c, f, k)
	msg, ferr := r.fail(ctx, err)
	if ferr != nil {
		return ferr
	}
	row := fmt.Sprintf("| %s | %d | %d | %s | %s | %s | %s | %s |", filepath.Base(f), k, c.maxTokens,
		pm(theirs.ts), pm(ours.ts), ratio(ours.ts, theirs.ts), tbt(theirs), tbt(ours))
	if msg != "" {
		row = fmt.Sprintf("| %s | %d | %d | %s | | | | |", filepath.Base(f), k, c.maxTokens, msg)
	} else {
		r.keep(key, row)
	}
	logf("%s", row)
	r.served = append(r.served, row)
	return nil
}

func (r *report) finish(ctx context.Context) string {
	r.sweep(ctx)
	c := r.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s, %d CPUs · %d threads · %d repetitions after a warm-up · load average at start %s, at end %s\n\n",
		r.startTime.Format("2006-01-02 15:04 MST"), r.machine, runtime.NumCPU(), c.threads, c.reps, r.loadStart, loadAvg())
	fmt.Fprintf(&b, "exaone commit %s (%s, kernels: %s) · llama.cpp %s from `%s` · same files, same run, alternating test by test\n\n",
		r.exaoneCommit, r.goVersion, or(r.kernels, "?"), or(r.llamaVersion, "(version unknown)"), c.llamaDir)
	var sw []string
	for _, s := range r.sweeps {
		sw = append(sw, fmt.Sprintf("%.1f", s))
	}
	if r.rows.used > 0 {
		fmt.Fprintf(&b, "%d rows were reused from an interrupted run of the same commit and settings (RESUME=1).\n\n", r.rows.used)
	}
	fmt.Fprintf(&b, "Memory read bandwidth (`exaone bench --bandwidth -t %d`), at start and at end: %s GB/s; 1-minute load average before each row: %s\n\n",
		c.threads, or(strings.Join(sw, ", "), "?"), or(strings.Join(r.loads, ", "), "?"))
	if v, ok := os.LookupEnv("OMP_WAIT_POLICY"); ok {
		// llama.cpp's OpenMP threads spin at barriers by default; the
		// setting changes what llama.cpp is measured as.
		fmt.Fprintf(&b, "OMP_WAIT_POLICY=%s was set for the whole run.\n\n", v)
	}
	if len(r.bench) > 0 {
		fmt.Fprintf(&b, "llama-bench against exaone bench (t/s, mean ± sd):\n\n")
		fmt.Fprintf(&b, "| file | size | test | llama.cpp t/s | exaone t/s | exaone / llama.cpp |\n|---|--:|---|--:|--:|--:|\n")
		for _, row := range r.bench {
			fmt.Fprintln(&b, row)
		}
		b.WriteString("\n")
	}
	if len(r.batched) > 0 {
		fmt.Fprintf(&b, "llama-batched-bench -npl B against exaone bench --parallel B: B sequences, each a PP-token prompt (all prompts one batch) then TG tokens decoded together; S_PP: prompt t/s, S_TG: aggregate decode t/s:\n\n")
		fmt.Fprintf(&b, "| file | PP | TG | B | llama.cpp S_PP | exaone S_PP | llama.cpp S_TG | exaone S_TG | S_TG exaone / llama.cpp |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, row := range r.batched {
			fmt.Fprintln(&b, row)
		}
		b.WriteString("\n")
	}
	if len(r.served) > 0 {
		fmt.Fprintf(&b, "K streaming clients (/v1/completions, a fixed prompt, temperature 0, ignore_eos) against llama-server -np K and exaone serve -np K, %d-token context per slot, both servers up and taking turns round by round: generated t/s of all streams together (mean ± sd over rounds) and the time between tokens as the client sees it (p50 / p99 ms):\n\n", c.slotCtx)
		fmt.Fprintf(&b, "| file | K | tokens each | llama-server t/s | exaone serve t/s | exaone / llama.cpp | llama-server TBT ms | exaone serve TBT ms |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, row := range r.served {
			fmt.Fprintln(&b, row)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
