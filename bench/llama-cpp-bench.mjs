// Prefill and decode speed of llama.cpp (through node-llama-cpp, CPU only) on one GGUF file, measured
// the way `plinth bench` measures Plinth: ppN = one pass over N random prompt tokens, tgN = N tokens
// generated one at a time from an empty context; mean and stddev over R repetitions after a warm-up.
//
// usage: node bench/llama-cpp-bench.mjs NODE_LLAMA_CPP_DIR MODEL.gguf [-p 512] [-n 128] [-t 2] [-r 3] [-v VOCAB]
// Prints one JSON line on stdout: {"pp": {"mean", "stddev"}, "tg": {...}, "threads", "firstTokenMs", "cpuBackend"},
// cpuBackend being the libggml-cpu-VARIANT.so that llama.cpp picked for this CPU (from its load_backend log line).
import {pathToFileURL} from "node:url";
import {join} from "node:path";

const [dir, modelPath, ...rest] = process.argv.slice(2);
if (!dir || !modelPath) {
    console.error("usage: llama-cpp-bench.mjs NODE_LLAMA_CPP_DIR MODEL.gguf [-p N] [-n N] [-t N] [-r N] [-v VOCAB]");
    process.exit(2);
}
const opt = {p: 512, n: 128, t: 2, r: 3, v: 32000};
for (let i = 0; i < rest.length; i += 2) {
    opt[rest[i].replace(/^-/, "")] = Number(rest[i + 1]);
}

const start = performance.now();
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(join(dir, "node_modules/node-llama-cpp/dist/index.js")).href);
// ggml names the CPU backend it loads only at debug level: listen at that level while loading, then errors only
let cpuBackend = "unknown";
const llama = await getLlama({
    gpu: false, build: "never", logLevel: LlamaLogLevel.debug, maxThreads: opt.t,
    logger: (level, message) => {
        const loaded = /loaded CPU backend from (.*\/)?([^\/\s]+)/.exec(message);
        if (loaded) {
            cpuBackend = loaded[2];
        } else if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) {
            console.error(message);
        }
    }
});
llama.logLevel = LlamaLogLevel.error;
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({
    contextSize: Math.max(opt.p, opt.n) + 16,
    batchSize: Math.max(opt.p, 1),
    threads: {ideal: opt.t, min: opt.t},
    sequences: 1
});
const sequence = context.getSequence();
const vocab = opt.v;  // random ids below this bound; 259 are control and byte tokens

let seed = 42;
function randomToken() {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % vocab;
}

async function firstToken() {
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens([randomToken()]);
}

async function prefill() {
    await sequence.clearHistory();
    const tokens = Array.from({length: opt.p}, randomToken);
    const t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens);
    return opt.p / ((performance.now() - t0) / 1000);
}

async function decode() {
    await sequence.clearHistory();
    let count = 0;
    const t0 = performance.now();
    // greedy, one token per step: each yielded token is one llama_decode of a single token
    for await (const token of sequence.evaluate([randomToken()], {temperature: 0})) {
        if (++count >= opt.n) {
            break;
        }
    }
    return count / ((performance.now() - t0) / 1000);
}

function stats(values) {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.length < 2 ? 0 : values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
    return {mean, stddev: Math.sqrt(variance), runs: values};
}

async function measure(run) {
    await run();  // warm-up
    const values = [];
    for (let i = 0; i < opt.r; i++) {
        values.push(await run());
    }
    return stats(values);
}

await firstToken();
const firstTokenMs = performance.now() - start;
const result = {threads: opt.t, firstTokenMs, cpuBackend};
if (opt.p > 0) {
    result.pp = await measure(prefill);
}
if (opt.n > 0) {
    result.tg = await measure(decode);
}
console.log(JSON.stringify(result));
await context.dispose();
await model.dispose();
await llama.dispose();
