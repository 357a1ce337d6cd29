#!/usr/bin/env python3
"""PyTorch's side of bench/pytorch-train-compare.sh (Debian's python3-torch; never part of Plinth).

  pytorch-train-bench.py train --threads T [--hidden 384 --layers 6 --heads 6 --kv-heads 2 --ffn 1024
                               --vocab 4096 --batch 8 --seq 256 --steps 3 --warmup 1 --lora 0]
      Trains the llama decoder of core/src/test/python/torch_llama.py (the one TorchConformanceTest
      checks Plinth against; tied embedding, random N(0, 0.02^2) weights, random tokens) as
      dev.plinth.bench.TrainStepBench does: forward, backward, clip_grad_norm_(1.0) and an AdamW step
      (lr 1e-3, PyTorch's default betas/eps/decay 0.01 on matrices but the embedding) per batch.
      With --lora R, LoRA pairs of rank R (alpha 2R, on every block projection, A drawn as PEFT draws
      it, B zero) train on the frozen base instead, computed as torch_llama.py computes PEFT's formula.
  pytorch-train-bench.py peak --threads T [--n 2048 --reps 5]
      Best GFLOP/s of torch.matmul on float32 n x n matrices.

Both print one JSON line last. OPENBLAS_NUM_THREADS comes from the environment.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core", "src", "test", "python"))
import torch_llama  # noqa: E402


def peak_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def train(a):
    torch.manual_seed(42)
    hd = a.hidden // a.heads
    cfg = {"layers": a.layers, "heads": a.heads, "kv_heads": a.kv_heads, "head_dim": hd, "rotary_dim": hd,
           "rms_eps": 1e-5, "rope_base": 10000.0, "rope_layout": "interleaved", "window": 0, "qkv_bias": False,
           "qk_norm": False, "tied": True}
    shapes = {"token_embd.weight": (a.vocab, a.hidden), "output_norm.weight": (a.hidden,)}
    kv_dim = a.kv_heads * hd
    for i in range(a.layers):
        b = "blk.%d." % i
        shapes.update({b + "attn_norm.weight": (a.hidden,), b + "attn_q.weight": (a.hidden, a.hidden),
                       b + "attn_k.weight": (kv_dim, a.hidden), b + "attn_v.weight": (kv_dim, a.hidden),
                       b + "attn_output.weight": (a.hidden, a.hidden), b + "ffn_norm.weight": (a.hidden,),
                       b + "ffn_gate.weight": (a.ffn, a.hidden), b + "ffn_up.weight": (a.ffn, a.hidden),
                       b + "ffn_down.weight": (a.hidden, a.ffn)})
    names = torch_llama.param_names(cfg)
    p = {n: torch.ones(shapes[n]) if len(shapes[n]) == 1 else torch.randn(shapes[n]) * 0.02 for n in names}
    if a.lora > 0:
        cfg["lora_scale"] = 2.0
        names = []
        for i in range(a.layers):
            for role in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
                w = "blk.%d.%s.weight" % (i, role)
                out, inp = shapes[w]
                bound = 1 / inp ** 0.5
                p[w + ".lora_a"] = (torch.rand(a.lora, inp) * 2 - 1) * bound
                p[w + ".lora_b"] = torch.zeros(out, a.lora)
                names += [w + ".lora_a", w + ".lora_b"]
    for n in names:
        p[n] = torch.nn.Parameter(p[n])
    params = [p[n] for n in names]
    opt = torch_llama.optimizer(p, names, {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01,
                                           "exclude_embeddings": True})
    for g in opt.param_groups:
        g["lr"] = 1e-3
    tokens = a.batch * a.seq
    timed = 0.0
    steps = []
    phases = []
    for s in range(1 - a.warmup, a.steps + 1):
        inputs = torch.randint(0, a.vocab, (a.batch, a.seq))
        targets = torch.randint(0, a.vocab, (a.batch, a.seq))
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch_llama.loss(p, cfg, inputs, targets, -100)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        t3 = time.perf_counter()
        print("%s: loss %.4f | forward %.0f ms, backward %.0f ms, clip+AdamW %.0f ms | %.0f tokens/s"
              % ("warm-up" if s <= 0 else "step %d" % s, loss.item(), (t1 - t0) * 1e3, (t2 - t1) * 1e3,
                 (t3 - t2) * 1e3, tokens / (t3 - t0)), file=sys.stderr)
        if s > 0:
            timed += t3 - t0
            steps.append(t3 - t0)
            phases.append((t1 - t0, t2 - t1, t3 - t2))
    print(json.dumps({"params": sum(x.numel() for x in params), "tokens_per_s": a.steps * tokens / timed,
                      "step_s": steps, "phase_ms": [round(1e3 * sum(x[i] for x in phases) / len(phases)) for i in range(3)],
                      "peak_rss_kib": peak_rss_kib(), "torch": torch.__version__,
                      "torch_threads": torch.get_num_threads(),
                      "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "")}))


def peak(a):
    x = torch.randn(a.n, a.n)
    y = torch.randn(a.n, a.n)
    best = 0.0
    for r in range(-2, a.reps):
        t0 = time.perf_counter()
        torch.matmul(x, y)
        rate = 2.0 * a.n ** 3 / (time.perf_counter() - t0) / 1e9
        if r >= 0:
            best = max(best, rate)
    print(json.dumps({"gflops": best, "n": a.n, "torch_threads": torch.get_num_threads(),
                      "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "")}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["train", "peak"])
    ap.add_argument("--threads", type=int, required=True)
    for name, default in (("hidden", 384), ("layers", 6), ("heads", 6), ("kv-heads", 2), ("ffn", 1024),
                          ("vocab", 4096), ("batch", 8), ("seq", 256), ("steps", 3), ("warmup", 1), ("n", 2048),
                          ("reps", 5), ("lora", 0)):
        ap.add_argument("--" + name, type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    (train if a.mode == "train" else peak)(a)


if __name__ == "__main__":
    main()
