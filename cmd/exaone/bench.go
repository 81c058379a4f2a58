package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/convert"
	"github.com/exaone-go/exaone/defaultmodel"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/tokenizer"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:  "bench",
		Usage: "measure prompt and generation speed, like llama-bench",
		Description: `Runs, for each model and thread count, a prompt test (-p tokens in one
batch) and a generation test (-n tokens one at a time), each after -d tokens
of context, -r times, and prints the mean and standard deviation of tokens/s.
Token ids are random: speed does not depend on the text.

--write-synthetic SHAPE writes a model of a released EXAONE 4 shape with
random weights instead (shapes: 1.2b, 32b, 32b-4layers; --type picks the
quantization), so benchmarks need no download. Tensors are generated and
written a piece at a time: memory stays small whatever the shape. The
whole 32b repeats 64 distinct rows in each matrix, so it is written at disk
speed (speed does not depend on the weights' values).`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "model", Aliases: []string{"m"}, Usage: "GGUF files (repeat or comma-separate)"},
			&cli.StringFlag{Name: "n-prompt", Aliases: []string{"p"}, Value: "512", Usage: "prompt lengths (comma-separated; 0 skips)"},
			&cli.StringFlag{Name: "n-gen", Aliases: []string{"n"}, Value: "128", Usage: "generated lengths (comma-separated; 0 skips)"},
			&cli.StringFlag{Name: "n-depth", Aliases: []string{"d"}, Value: "0", Usage: "context depths before each test (comma-separated)"},
			&cli.StringFlag{Name: "threads", Aliases: []string{"t"}, Value: strconv.Itoa(model.DefaultThreads()), Usage: "thread counts (comma-separated)"},
			&cli.IntFlag{Name: "repetitions", Aliases: []string{"r"}, Value: 5, Usage: "runs of each test"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "md", Usage: "md or json"},
			&cli.StringFlag{Name: "write-synthetic", Usage: "write a synthetic model of this shape to --out and exit"},
			&cli.StringFlag{Name: "type", Value: "q4_0", Usage: "quantization of the synthetic model"},
			&cli.StringFlag{Name: "out", Usage: "file the synthetic model is written to"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite --out or --cpuprofile"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the tests to `FILE` (go tool pprof)"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print load time, KV cache size and memory (peak resident, anonymous and mapped-file) to standard error"},
			&cli.BoolFlag{Name: "bandwidth", Usage: "measure memory read bandwidth (GB/s) with each -t thread count and exit"},
			&cli.StringFlag{Name: "parallel", Aliases: []string{"npl"}, Usage: "sequence counts (comma-separated): batched tests like llama-batched-bench's -npl, each sequence a -p prompt then -n tokens decoded together; reports aggregate decode t/s"},
		}, cacheTypeFlags()...),
		Action: func(c *cli.Context) error { return oneLine(runBench(c)) },
	})
}

func intList(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("-%s: %q is not a list of non-negative integers", flag, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// benchResult carries llama-bench's JSON field names, so that tools reading
// llama-bench's output read ours.
type benchResult struct {
	ModelFilename string    `json:"model_filename"`
	ModelType     string    `json:"model_type"`
	ModelSize     int64     `json:"model_size"`
	ModelNParams  int64     `json:"model_n_params"`
	Backend       string    `json:"backends"`
	NThreads      int       `json:"n_threads"`
	NPrompt       int       `json:"n_prompt"`
	NGen          int       `json:"n_gen"`
	NDepth        int       `json:"n_depth"`
	TypeK         string    `json:"type_k"`
	TypeV         string    `json:"type_v"`
	TestTime      string    `json:"test_time"`
	AvgNs         int64     `json:"avg_ns"`
	StddevNs      int64     `json:"stddev_ns"`
	AvgTs         float64   `json:"avg_ts"`
	StddevTs      float64   `json:"stddev_ts"`
	SamplesNs     []int64   `json:"samples_ns"`
	SamplesTs     []float64 `json:"samples_ts"`
}

func runBench(c *cli.Context) (err error) {
	if shape := c.String("write-synthetic"); shape != "" {
		return writeSynthetic(c, shape)
	}
	var files []string
	for _, m := range c.StringSlice("model") {
		for _, f := range strings.Split(m, ",") {
			if f = strings.TrimSpace(f); f != "" {
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		p, err := defaultmodel.Path()
		if err != nil {
			return err
		}
		files = []string{p}
	}
	prompts, err := intList("p", c.String("n-prompt"))
	if err != nil {
		return err
	}
	gens, err := intList("n", c.String("n-gen"))
	if err != nil {
		return err
	}
	depths, err := intList("d", c.String("n-depth"))
	if err != nil {
		return err
	}
	threads, err := intList("t", c.String("threads"))
	if err != nil {
		return err
	}
	for i := range threads {
		if threads[i], err = checkThreads(threads[i], c.App.ErrWriter); err != nil {
			return err
		}
	}
	ctk, ctv, err := cacheTypes(c)
	if err != nil {
		return err
	}
	reps := c.Int("repetitions")
	if reps < 1 {
		return fmt.Errorf("-r must be at least 1")
	}
	if c.Bool("bandwidth") {
		for _, t := range threads {
			fmt.Fprintf(c.App.Writer, "read bandwidth, %d threads: %.1f GB/s\n", t, readBandwidth(max(t, 1), reps))
		}
		return nil
	}
	format := c.String("output")
	if format != "md" && format != "json" {
		return fmt.Errorf("-o: %q is not md or json", format)
	}
	if prof := c.String("cpuprofile"); prof != "" {
		if err := checkOutputFile(prof, c.Bool("force"), "--force"); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		// The profile is small: it is kept in memory and written whole at
		// the end, so an interrupted run leaves no partial file.
		var buf bytes.Buffer
		if err := pprof.StartCPUProfile(&buf); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if werr := writeFileAtomic(prof, buf.Bytes()); err == nil && werr != nil {
				err = fmt.Errorf("--cpuprofile: %w", werr)
			}
		}()
	}
	if c.IsSet("parallel") {
		return runParallel(c, files, prompts, gens, depths, threads, reps, format, ctk, ctv)
	}
	out := c.App.Writer
	var log io.Writer
	if c.Bool("verbose") {
		log = c.App.ErrWriter
	}
	var results []benchResult
	if format == "md" {
		fmt.Fprintf(out, "| model | size | params | kernels | threads | test | t/s |\n|---|--:|--:|---|--:|--:|--:|\n")
	}
	for _, file := range files {
		lm, err := loadModel(file)
		if err != nil {
			return err
		}
		info := describe(lm.m, file)
		if log != nil {
			fmt.Fprintf(log, "%s: loaded in %.1f ms%s\n", file, ms(lm.loadTime), peakNote())
		}
		for _, t := range threads {
			for _, d := range depths {
				var tests [][2]int
				for _, p := range prompts {
					if p > 0 {
						tests = append(tests, [2]int{p, 0})
					}
				}
				for _, n := range gens {
					if n > 0 {
						tests = append(tests, [2]int{0, n})
					}
				}
				for _, test := range tests {
					r, err := benchOne(lm.m, info, model.Options{Threads: t, CacheTypeK: ctk, CacheTypeV: ctv}, test[0], test[1], d, reps, log)
					if err != nil {
						lm.Close()
						return err
					}
					results = append(results, r)
					if format == "md" {
						name := fmt.Sprintf("pp%d", r.NPrompt)
						if r.NGen > 0 {
							name = fmt.Sprintf("tg%d", r.NGen)
						}
						if d > 0 {
							name += fmt.Sprintf(" @ d%d", d)
						}
						if ctk != model.CacheF16 || ctv != model.CacheF16 {
							name += fmt.Sprintf(" kv %s/%s", ctk, ctv)
						}
						fmt.Fprintf(out, "| %s | %s | %s | %s | %d | %s | %.2f ± %.2f |\n", r.ModelType,
							humanBytes(r.ModelSize), humanCount(r.ModelNParams), r.Backend, t, name, r.AvgTs, r.StddevTs)
					}
				}
			}
		}
		lm.Close()
	}
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return nil
}

// describe fills the model columns of a result.
func describe(m *model.Model, file string) benchResult {
	var size, params int64
	for i := range m.File.Tensors {
		size += int64(m.File.Tensors[i].Size)
		params += int64(m.File.Tensors[i].Elements())
	}
	ftype := "?"
	if v, err := m.File.Uint32("general.file_type"); err == nil {
		ftype = fileTypeName(v)
	}
	return benchResult{
		ModelFilename: file, ModelSize: size, ModelNParams: params, Backend: "CPU " + asm.Path(),
		ModelType: fmt.Sprintf("exaone4 %s %s", humanCount(params), ftype),
	}
}

func fileTypeName(v uint32) string {
	names := map[uint32]string{0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
		15: "Q4_K - Medium", 17: "Q5_K - Medium", 18: "Q6_K", 32: "BF16"}
	if n, ok := names[v]; ok {
		return n
	}
	return fmt.Sprintf("ftype %d", v)
}

// benchOne times one test reps times on a fresh session, after a warm-up
// run, with the context filled to depth d first (not timed, and only once).
// With log set it reports the KV cache and memory there.
func benchOne(m *model.Model, info benchResult, o model.Options, p, n, d, reps int, log io.Writer) (benchResult, error) {
	o.Ctx = d + p + n + 1
	s, err := m.NewSession(o)
	if err != nil {
		return info, err
	}
	defer s.Close()
	if log != nil {
		fmt.Fprintf(log, "p%d n%d d%d t%d: %s\n", p, n, d, o.Threads, kvReport(s))
		defer func() {
			if m := memoryReport(); m != "" {
				fmt.Fprintf(log, "p%d n%d d%d t%d: %s\n", p, n, d, o.Threads, m)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(p), uint64(n+d)))
	tok := func() int { return rng.IntN(m.Vocab) }
	// The context up to depth d is evaluated once; each run rewinds to it.
	// (A rewind past a sliding window's ring is refused; re-evaluate then.)
	filled := false
	run := func() (time.Duration, error) {
		if d == 0 || !filled || s.Truncate(d) != nil {
			s.Reset()
			if d > 0 {
				depth := make([]int, d)
				for i := range depth {
					depth[i] = tok()
				}
				if _, err := s.Eval(depth); err != nil {
					return 0, err
				}
				filled = true
			}
		}
		start := time.Now()
		if p > 0 {
			prompt := make([]int, p)
			for i := range prompt {
				prompt[i] = tok()
			}
			start = time.Now()
			if _, err := s.Eval(prompt); err != nil {
				return 0, err
			}
		}
		for i := 0; i < n; i++ {
			if _, err := s.Eval([]int{tok()}); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	if _, err := run(); err != nil { // warm-up: page in the weights
		return info, err
	}
	r := info
	r.NThreads, r.NPrompt, r.NGen, r.NDepth = o.Threads, p, n, d
	r.TypeK, r.TypeV = o.CacheTypeK.String(), o.CacheTypeV.String()
	r.TestTime = time.Now().UTC().Format(time.RFC3339)
	for i := 0; i < reps; i++ {
		dt, err := run()
		if err != nil {
			return info, err
		}
		r.SamplesNs = append(r.SamplesNs, dt.Nanoseconds())
		r.SamplesTs = append(r.SamplesTs, float64(p+n)/dt.Seconds())
	}
	r.AvgNs, r.StddevNs = meanSD64(r.SamplesNs)
	r.AvgTs, r.StddevTs = meanSD(r.SamplesTs)
	return r, nil
}

func meanSD(v []float64) (float64, float64) {
	var m, s float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	if len(v) > 1 {
		s /= float64(len(v) - 1)
	}
	return m, math.Sqrt(s)
}

func meanSD64(v []int64) (int64, int64) {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	m, s := meanSD(f)
	return int64(m), int64(s)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2fK", float64(n)/1e3)
}

func writeSynthetic(c *cli.Context, name string) error {
	shape, ok := convert.Shapes[name]
	if !ok {
		var names []string
		for n := range convert.Shapes {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("--write-synthetic: unknown shape %q (known: %s)", name, strings.Join(names, ", "))
	}
	out := c.String("out")
	if out == "" {
		// A 1.2b file is hundreds of MB: never drop it where the command
		// happens to run.
		return fmt.Errorf("--write-synthetic: give the output file with --out (e.g. --out exaone4-%s-synthetic-%s.gguf)", name, c.String("type"))
	}
	if err := checkOutputFile(out, c.Bool("force"), "--force"); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	vocab, err := tokenizer.ReadHFFS(defaultmodel.FS())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "writing %s (%s, %s)\n", out, shape.Name, c.String("type"))
	start := time.Now()
	sc := catchSignals()
	defer sc.stop()
	opts := convert.Options{Type: c.String("type"), Force: c.Bool("force"), Context: sc.ctx, Progress: func(convert.Progress) { step() }}
	if err := convert.WriteSynthetic(out, shape, vocab, opts); err != nil {
		return sc.result("bench", err)
	}
	st, _ := os.Stat(out)
	fmt.Fprintf(c.App.ErrWriter, "wrote %s: %s in %.1f s%s\n", out, humanBytes(st.Size()), time.Since(start).Seconds(), peakNote())
	return nil
}

// readBandwidth measures the read bandwidth of memory with threads goroutines
// sweeping their share of a 1 GiB buffer, best of reps sweeps: decode speed
// is bounded by it (every weight is read once per token).
func readBandwidth(threads, reps int) float64 {
	const size = 1 << 30
	buf := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		buf[i] = byte(i >> 12) // fault every page in before timing
	}
	best := 0.0
	for r := 0; r < reps; r++ {
		var wg sync.WaitGroup
		start := time.Now()
		part := size / threads
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(b []byte) {
				defer wg.Done()
				sink.Add(asm.ReadSweep(b))
			}(buf[t*part : (t+1)*part])
		}
		wg.Wait()
		best = max(best, float64(size)/time.Since(start).Seconds()/1e9)
	}
	return best
}

var sink atomic.Uint64
