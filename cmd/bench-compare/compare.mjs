// Runs llama.cpp (the prebuilt CPU binaries of the node-llama-cpp package)
// and exaone on the same GGUF files in one run, alternating test by test,
// and prints a markdown table of tokens/s with ratios, beside the memory
// read bandwidth measured in the same run.
//
//   node compare.mjs EXAONE_BINARY THREADS REPS FILE...
//
// BENCH_TESTS overrides the tests, e.g. pp512,tg128,tg128@d4096.
import {getLlama} from "node-llama-cpp";
import {execFileSync, spawnSync} from "node:child_process";
import {basename} from "node:path";
import os from "node:os";

const [exaone, threadsArg, repsArg, ...files] = process.argv.slice(2);
const threads = Number(threadsArg), reps = Number(repsArg);
// Tests as llama-bench names them: ppN, tgN, tgN@dD (env BENCH_TESTS).
const tests = (process.env.BENCH_TESTS || "pp512,tg128,tg128@d4096").split(",").map((name) => {
	const m = name.match(/^(pp|tg)(\d+)(?:@d(\d+))?$/);
	if (!m) throw new Error(`bad test ${name}`);
	const k = Number(m[2]), d = Number(m[3] || 0);
	return {name: d ? `${m[1]}${k} @ d${d}` : `${m[1]}${k}`, p: m[1] === "pp" ? k : 0, n: m[1] === "tg" ? k : 0, d};
});

let seed = 12345;
function rand(n) {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed % n;
}
const randTokens = (n) => Array.from({length: n}, () => 300 + rand(7800));
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v) => {
	const m = mean(v);
	return v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
};

// llama.cpp's own performance counters, read through its log, time its
// work without the JS loop around it (that loop costs ~1 ms per token).
let log = "";
const llama = await getLlama({gpu: false, build: "never", logLevel: "info", logger: (_, msg) => { log += msg; }});

async function counters(ctx) {
	log = "";
	await ctx.printTimings();
	const num = (re) => {
		const m = log.match(re);
		return m ? [Number(m[1]), Number(m[2])] : [0, 0];
	};
	const [pms, ptok] = num(/prompt eval time =\s*([0-9.]+) ms \/\s*(\d+) tokens/);
	const [ems, eruns] = num(/[^t] eval time =\s*([0-9.]+) ms \/\s*(\d+) runs/);
	// llama.cpp prints a count of at least 1 even when nothing ran.
	const c = {pms, ptok: pms > 0 ? ptok : 0, ems, eruns: ems > 0 ? eruns : 0};
	if (process.env.BENCH_DEBUG) console.error(JSON.stringify(c));
	return c;
}

// One llama.cpp test: a warm-up run, then reps timed runs, each timed by
// llama.cpp's counters (prompt: batch evaluation; generation: one token
// per decode, greedy).
async function llamaTest(model, t) {
	const ctx = await model.createContext({threads, contextSize: Math.max(512, t.d + t.p + t.n + 16), batchSize: 512, performanceTracking: true});
	const seq = ctx.getSequence();
	const samples = [];
	// The context up to depth t.d is evaluated once; each run erases what
	// came after it (or starts over where that is not possible).
	let filled = false;
	for (let r = 0; r <= reps; r++) {
		let rewound = false;
		if (filled && seq.nextTokenIndex > t.d) {
			try {
				await seq.eraseContextTokenRanges([{start: t.d, end: seq.nextTokenIndex}]);
				rewound = seq.nextTokenIndex === t.d;
			} catch {}
		}
		if (!rewound) {
			await seq.clearHistory();
			if (t.d > 0) await seq.evaluateWithoutGeneratingNewTokens(randTokens(t.d));
			filled = t.d > 0;
		}
		const before = await counters(ctx);
		if (t.p > 0) {
			await seq.evaluateWithoutGeneratingNewTokens(randTokens(t.p));
		} else {
			let k = 0;
			for await (const _ of seq.evaluate(randTokens(1), {temperature: 0})) {
				if (++k >= t.n) break;
			}
		}
		const after = await counters(ctx);
		const ms = t.p > 0 ? after.pms - before.pms : after.ems - before.ems;
		const toks = t.p > 0 ? after.ptok - before.ptok : after.eruns - before.eruns;
		if (r > 0) samples.push(toks / (ms / 1000));
	}
	await ctx.dispose();
	return samples;
}

// Time to first token from a cold start of each runtime on a warm page
// cache: load the file, make a 4096-token context, evaluate a prompt, get
// one token. For llama.cpp this is measured inside the running Node process
// (Node's own start-up excluded); for exaone it is the whole process, exit
// included. Memory: exaone's peak resident set; llama.cpp's resident set
// of the Node process right after the first token.
const ttftPrompt = "And it came to pass, when the king heard the words of the book of the law, that he rent his clothes. ".repeat(8);

async function llamaTTFT(file) {
	const t0 = performance.now();
	const model = await llama.loadModel({modelPath: file});
	const ctx = await model.createContext({threads, contextSize: 4096, batchSize: 512});
	const seq = ctx.getSequence();
	for await (const _ of seq.evaluate(model.tokenize(ttftPrompt), {temperature: 0})) break;
	const ms = performance.now() - t0;
	const rss = process.memoryUsage().rss;
	await ctx.dispose();
	await model.dispose();
	return {ms, rss};
}

function oursTTFT(file) {
	const t0 = performance.now();
	const r = spawnSync(exaone, ["run", "-m", file, "-p", ttftPrompt, "-n", "1", "--temp", "0", "-c", "4096",
		"-t", String(threads), "--verbose"], {encoding: "utf8"});
	const ms = performance.now() - t0;
	const m = (r.stderr || "").match(/peak memory: ([0-9.]+) MiB/);
	return {ms, rss: m ? Number(m[1]) * 2 ** 20 : NaN};
}

function oursTest(file, t) {
	const out = execFileSync(exaone, ["bench", "-m", file, "-p", String(t.p), "-n", String(t.n), "-d", String(t.d),
		"-t", String(threads), "-r", String(reps), "-o", "json"], {encoding: "utf8"});
	return JSON.parse(out)[0].samples_ts;
}

// The read bandwidth a shared machine gives moves by more than 1.5x within
// minutes (neighbours), so it is measured again right before each of our
// decode tests, and each test's share is taken against that sweep.
const sweeps = [];
function sweep() {
	const bw = execFileSync(exaone, ["bench", "--bandwidth", "-t", String(threads), "-r", "3"], {encoding: "utf8"}).trim();
	const gbs = Number(bw.match(/([0-9.]+) GB\/s/)[1]);
	sweeps.push(gbs);
	return gbs;
}
console.log(`${new Date().toISOString()} | ${os.cpus()[0].model} | ${threads} threads | ${reps} repetitions | read bandwidth, ${threads} threads, at start: ${sweep().toFixed(1)} GB/s`);
let rev = "unknown";
try {
	rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], {encoding: "utf8"}).trim();
} catch {}
console.log(`exaone: commit ${rev}, ${process.env.KERNELS || "default"} kernels; llama.cpp: node-llama-cpp 3.22.1 ${llama.buildType} CPU binaries`);
console.log("");
console.log("| file | size | test | llama.cpp t/s | exaone t/s | exaone / llama.cpp | exaone GB/s of weights (share of the read bandwidth swept just before) |");
console.log("|---|--:|---|--:|--:|--:|--:|");
const startup = [];
for (const file of files) {
	const model = await llama.loadModel({modelPath: file});
	const size = model.size;
	for (const t of tests) {
		const l = await llamaTest(model, t);
		const gbs = t.n > 0 ? sweep() : 0;
		const o = oursTest(file, t);
		const ratio = mean(o) / mean(l);
		const stream = t.n > 0 ? `${(mean(o) * size / 1e9).toFixed(1)} (${(100 * mean(o) * size / 1e9 / gbs).toFixed(0)}% of ${gbs.toFixed(1)})` : "";
		console.log(`| ${basename(file)} | ${(size / 2 ** 20).toFixed(0)} MiB | ${t.name} | ${mean(l).toFixed(2)} ± ${sd(l).toFixed(2)} | ${mean(o).toFixed(2)} ± ${sd(o).toFixed(2)} | ${ratio.toFixed(2)}x | ${stream} |`);
	}
	await model.dispose();
	const l = await llamaTTFT(file), o = oursTTFT(file);
	startup.push(`| ${basename(file)} | ${l.ms.toFixed(0)} ms | ${o.ms.toFixed(0)} ms | ${(o.ms / l.ms).toFixed(2)}x | ${(l.rss / 2 ** 20).toFixed(0)} MiB | ${(o.rss / 2 ** 20).toFixed(0)} MiB |`);
}
console.log("");
console.log(`read bandwidth sweeps over the run (GB/s): ${sweeps.map((g) => g.toFixed(1)).join(", ")}`);
console.log("");
console.log("| file | llama.cpp time to first token | exaone | exaone / llama.cpp | llama.cpp RSS | exaone peak RSS |");
console.log("|---|--:|--:|--:|--:|--:|");
for (const line of startup) console.log(line);
