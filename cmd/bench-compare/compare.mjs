// Runs llama.cpp (the prebuilt CPU binaries of the node-llama-cpp package)
// and exaone on the same GGUF files in one run, alternating test by test,
// and prints a markdown table of tokens/s with ratios, beside the memory
// read bandwidth measured in the same run.
//
//   node compare.mjs EXAONE_BINARY THREADS REPS FILE...
import {getLlama} from "node-llama-cpp";
import {execFileSync} from "node:child_process";
import {basename} from "node:path";
import os from "node:os";

const [exaone, threadsArg, repsArg, ...files] = process.argv.slice(2);
const threads = Number(threadsArg), reps = Number(repsArg);
const tests = [
	{name: "pp512", p: 512, n: 0, d: 0},
	{name: "tg128", p: 0, n: 128, d: 0},
	{name: "tg128 @ d4096", p: 0, n: 128, d: 4096},
];

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

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});

// One llama.cpp test: a warm-up run, then reps timed runs. Generation is
// timed through the JS loop (token by token, greedy), so it includes that
// loop's small per-token overhead.
async function llamaTest(model, t) {
	const ctx = await model.createContext({threads, contextSize: t.d + t.p + t.n + 16, batchSize: 512});
	const seq = ctx.getSequence();
	const samples = [];
	for (let r = 0; r <= reps; r++) {
		await seq.clearHistory();
		if (t.d > 0) await seq.evaluateWithoutGeneratingNewTokens(randTokens(t.d));
		let start;
		if (t.p > 0) {
			const toks = randTokens(t.p);
			start = performance.now();
			await seq.evaluateWithoutGeneratingNewTokens(toks);
		} else {
			start = performance.now();
			let k = 0;
			for await (const _ of seq.evaluate(randTokens(1), {temperature: 0})) {
				if (++k >= t.n) break;
			}
		}
		const dt = (performance.now() - start) / 1000;
		if (r > 0) samples.push((t.p + t.n) / dt);
	}
	await ctx.dispose();
	return samples;
}

function oursTest(file, t) {
	const out = execFileSync(exaone, ["bench", "-m", file, "-p", String(t.p), "-n", String(t.n), "-d", String(t.d),
		"-t", String(threads), "-r", String(reps), "-o", "json"], {encoding: "utf8"});
	return JSON.parse(out)[0].samples_ts;
}

const bw = execFileSync(exaone, ["bench", "--bandwidth", "-t", String(threads), "-r", "3"], {encoding: "utf8"}).trim();
const gbs = Number(bw.match(/([0-9.]+) GB\/s/)[1]);
console.log(`${new Date().toISOString()} | ${os.cpus()[0].model} | ${threads} threads | ${reps} repetitions | ${bw}`);
let rev = "unknown";
try {
	rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], {encoding: "utf8"}).trim();
} catch {}
console.log(`exaone: commit ${rev}, ${process.env.KERNELS || "default"} kernels; llama.cpp: node-llama-cpp 3.22.1 ${llama.buildType} CPU binaries`);
console.log("");
console.log("| file | size | test | llama.cpp t/s | exaone t/s | exaone / llama.cpp | exaone GB/s of weights (share of read bandwidth) |");
console.log("|---|--:|---|--:|--:|--:|--:|");
for (const file of files) {
	const model = await llama.loadModel({modelPath: file});
	const size = model.size;
	for (const t of tests) {
		const l = await llamaTest(model, t);
		const o = oursTest(file, t);
		const ratio = mean(o) / mean(l);
		const stream = t.n > 0 ? `${(mean(o) * size / 1e9).toFixed(1)} (${(100 * mean(o) * size / 1e9 / gbs).toFixed(0)}%)` : "";
		console.log(`| ${basename(file)} | ${(size / 2 ** 20).toFixed(0)} MiB | ${t.name} | ${mean(l).toFixed(2)} ± ${sd(l).toFixed(2)} | ${mean(o).toFixed(2)} ± ${sd(o).toFixed(2)} | ${ratio.toFixed(2)}x | ${stream} |`);
	}
	await model.dispose();
}
