#!/usr/bin/env python3
"""A llama-family decoder in PyTorch, the reference for Plinth's training (test and benchmark only).

It computes what dev.plinth.train.TrainableDecoder computes, written independently on torch ops:
RMSNorm, RoPE (interleaved pairs (2i, 2i+1) as GGUF llama, or NeoX halves as qwen2/qwen3; angles
pos * base^(-2i/rotary_dim) in float64, then cast), optional q/k/v biases (qwen2) and per-head q/k
RMSNorm (qwen3), grouped-query causal attention (optionally with a sliding window), SwiGLU, residual
adds, a tied or untied output matrix and mean cross-entropy with an ignore index. Weights carry
GGUF tensor names and the [out, in] layout, so y = x @ W.T.

Fine-tuning (a case.json with "trainable" names): the base stays a constant and only the named
tensors train. LoRA is written as PEFT's LoraLayer computes it (peft/tuners/lora/layer.py, Linear.forward:
result = base_layer(x) + lora_B(lora_A(dropout(x))) * scaling, scaling = lora_alpha / r, or
lora_alpha / sqrt(r) with use_rslora), without importing peft: A "<weight>.lora_a" [r, in] and B
"<weight>.lora_b" [out, r], dropout off. A classification head "score.weight" [labels, hidden] is
transformers' LlamaForSequenceClassification: the score of the final-normed hidden state of each
sequence's last position that has a target (its last non-padding token), cross-entropy over the batch.

usage: torch_llama.py conformance CASE_DIR...
  Each CASE_DIR holds case.json (config, batches, optimizer settings, micro-batches per step, the
  trainable tensors' names) and weights.safetensors (F32).
  For float32 and float64 it writes torch-<dtype>.json (first loss, per-step losses, gradient norms,
  learning rates), torch-<dtype>-grads.safetensors (gradients of the first batch's loss, before
  clipping) and torch-<dtype>-final.safetensors (the parameters after the AdamW steps), all F32.
  A case whose config has "q8_activations" (a Q8_0 base, its weights given decoded) rounds the
  activations of every base product to Q8_0 as llama.cpp does, and runs once more in float32 without
  that rounding (tag f32-unrounded).
"""
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F

# ---- safetensors (our own small reader and writer: Debian ships no python3-safetensors) ----

_DTYPES = {"F32": torch.float32, "F64": torch.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(body[a:b]), dtype=dtype) if b > a else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)


# ---- the model ----

def param_names(cfg):
    """GGUF names of every parameter, in TrainableDecoder's order."""
    names = ["token_embd.weight"]
    if not cfg["tied"]:
        names.append("output.weight")
    names.append("output_norm.weight")
    for i in range(cfg["layers"]):
        b = "blk.%d." % i
        names += [b + "attn_norm.weight", b + "attn_q.weight", b + "attn_k.weight", b + "attn_v.weight"]
        if cfg["qkv_bias"]:
            names += [b + "attn_q.bias", b + "attn_k.bias", b + "attn_v.bias"]
        if cfg["qk_norm"]:
            names += [b + "attn_q_norm.weight", b + "attn_k_norm.weight"]
        names += [b + "attn_output.weight", b + "ffn_norm.weight", b + "ffn_gate.weight", b + "ffn_up.weight",
                  b + "ffn_down.weight"]
    return names


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_tables(cfg, seq, dtype):
    rot = cfg["rotary_dim"]
    i = torch.arange(rot // 2, dtype=torch.float64)
    freq = torch.pow(torch.tensor(cfg["rope_base"], dtype=torch.float64), -2.0 * i / rot)
    if cfg.get("freq_factors"):
        freq = freq / torch.tensor(cfg["freq_factors"], dtype=torch.float64)
    angle = torch.arange(seq, dtype=torch.float64)[:, None] * freq[None, :]
    # [1, seq, 1, rot/2]: broadcast over batch and heads; cos/sin rounded to float32 as Plinth does
    cos = angle.cos().to(torch.float32).to(dtype)[None, :, None, :]
    sin = angle.sin().to(torch.float32).to(dtype)[None, :, None, :]
    return cos, sin


def rope(x, cfg, cos, sin):
    """x: [batch, seq, heads, head_dim]."""
    rot = cfg["rotary_dim"]
    half = rot // 2
    if cfg["rope_layout"] == "neox":
        a, b = x[..., :half], x[..., half:rot]
        turned = torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
    else:
        a, b = x[..., 0:rot:2], x[..., 1:rot:2]
        turned = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
    return torch.cat([turned, x[..., rot:]], dim=-1)


def attention_mask(seq, window):
    t = torch.arange(seq)[:, None]
    u = torch.arange(seq)[None, :]
    allowed = u <= t
    if window > 0:
        allowed = allowed & (u > t - window)
    return allowed


def q8_0_rounded(x):
    """x as ggml's quantize_row_q8_0_ref leaves it once dequantized: blocks of 32 along the last dimension,
    d = amax/127 stored as F16, q = roundf(x/d) (half away from zero)."""
    blocks = x.reshape(*x.shape[:-1], x.shape[-1] // 32, 32)
    d = blocks.abs().amax(dim=-1, keepdim=True) / 127
    inverse = torch.where(d > 0, 1.0 / d, torch.zeros_like(d))
    v = blocks * inverse
    q = torch.sign(v) * torch.floor(v.abs() + 0.5)
    return (q * d.to(torch.float16).to(x.dtype)).reshape(x.shape)


def base_input(cfg, x):
    """The activations a base product sees: with "q8_activations" rounded as llama.cpp rounds them before a
    Q8_0 product, passed straight through in backward (the gradient of x @ W.T with the decoded W)."""
    if not cfg.get("q8_activations"):
        return x
    return x + (q8_0_rounded(x) - x).detach()


def linear(p, cfg, x, name):
    """x @ W.T, plus PEFT's LoRA term when the weight has a pair."""
    y = base_input(cfg, x) @ p[name].t()
    a = p.get(name + ".lora_a")
    if a is not None:
        y = y + (x @ a.t()) @ p[name + ".lora_b"].t() * cfg["lora_scale"]
    return y


def project(p, cfg, xn, layer, role, heads, cos, sin):
    bsz, seq, _ = xn.shape
    hd = cfg["head_dim"]
    y = linear(p, cfg, xn, layer + role + ".weight")
    if cfg["qkv_bias"]:
        y = y + p[layer + role + ".bias"]
    y = y.view(bsz, seq, heads, hd)
    if cfg["qk_norm"]:
        y = rms_norm(y, p[layer + role + "_norm.weight"], cfg["rms_eps"])
    return rope(y, cfg, cos, sin)


def hidden(p, cfg, inputs):
    """inputs: [batch, seq] int64; returns the final norm's output, [batch, seq, hidden]."""
    bsz, seq = inputs.shape
    dtype = p["token_embd.weight"].dtype
    heads, kv_heads, hd, eps = cfg["heads"], cfg["kv_heads"], cfg["head_dim"], cfg["rms_eps"]
    cos, sin = rope_tables(cfg, seq, dtype)
    mask = attention_mask(seq, cfg.get("window", 0))
    x = F.embedding(inputs, p["token_embd.weight"])
    for i in range(cfg["layers"]):
        b = "blk.%d." % i
        xn = rms_norm(x, p[b + "attn_norm.weight"], eps)
        q = project(p, cfg, xn, b, "attn_q", heads, cos, sin)
        k = project(p, cfg, xn, b, "attn_k", kv_heads, cos, sin)
        v = linear(p, cfg, xn, b + "attn_v.weight")
        if cfg["qkv_bias"]:
            v = v + p[b + "attn_v.bias"]
        v = v.view(bsz, seq, kv_heads, hd)
        # query head h reads key/value head h // (heads / kv_heads)
        group = heads // kv_heads
        k = k.repeat_interleave(group, dim=2)
        v = v.repeat_interleave(group, dim=2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [batch, heads, seq, hd]
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        scores = scores.masked_fill(~mask, float("-inf"))
        att = torch.softmax(scores, dim=-1) @ v
        att = att.transpose(1, 2).reshape(bsz, seq, heads * hd)
        x = x + linear(p, cfg, att, b + "attn_output.weight")
        hn = rms_norm(x, p[b + "ffn_norm.weight"], eps)
        act = F.silu(linear(p, cfg, hn, b + "ffn_gate.weight")) * linear(p, cfg, hn, b + "ffn_up.weight")
        x = x + linear(p, cfg, act, b + "ffn_down.weight")
    return rms_norm(x, p["output_norm.weight"], eps)


def logits(p, cfg, inputs):
    """inputs: [batch, seq] int64; returns [batch, seq, vocab]."""
    return base_input(cfg, hidden(p, cfg, inputs)) @ p["token_embd.weight" if cfg["tied"] else "output.weight"].t()


def loss(p, cfg, inputs, targets, ignore_index):
    if cfg.get("classify"):
        return class_loss(p, cfg, inputs, targets, ignore_index)
    z = logits(p, cfg, inputs)
    return F.cross_entropy(z.reshape(-1, z.shape[-1]), targets.reshape(-1), ignore_index=ignore_index)


def class_loss(p, cfg, inputs, targets, ignore_index):
    """LlamaForSequenceClassification: scores at every position, pooled at each row's labelled (last) one."""
    scores = hidden(p, cfg, inputs) @ p["score.weight"].t()
    rows = torch.arange(inputs.shape[0])
    last = (targets != ignore_index).int().argmax(dim=1)
    return F.cross_entropy(scores[rows, last], targets[rows, last])


def warmup_cosine(step, peak, low, warmup, total):
    """Linear warm-up to peak (step s gets peak*(s+1)/warmup), then half a cosine down to low at total."""
    if step < warmup:
        return peak * (step + 1) / warmup
    if step >= total:
        return low
    progress = (step - warmup) / (total - warmup)
    return low + 0.5 * (peak - low) * (1 + math.cos(math.pi * progress))


def optimizer(p, names, adamw):
    decay, keep = [], []
    for n in names:
        excluded = adamw["exclude_embeddings"] and n == "token_embd.weight"
        (decay if p[n].dim() >= 2 and not excluded else keep).append(p[n])
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": adamw["weight_decay"]}, {"params": keep, "weight_decay": 0.0}],
        lr=0.0, betas=(adamw["beta1"], adamw["beta2"]), eps=adamw["eps"])


# ---- conformance ----

def run_case(case_dir, dtype, tag):
    with open(case_dir + "/case.json") as f:
        case = json.load(f)
    cfg = dict(case["config"])
    if tag.endswith("-unrounded"):
        cfg["q8_activations"] = False
    names = case.get("trainable") or param_names(cfg)
    weights = read_safetensors(case_dir + "/weights.safetensors")
    # the trained tensors are parameters; a frozen base's weights are constants
    p = {n: w.to(dtype) for n, w in weights.items()}
    p.update({n: torch.nn.Parameter(weights[n].to(dtype)) for n in names})
    params = [p[n] for n in names]
    opt = optimizer(p, names, case["adamw"])
    sch = case["schedule"]
    ii = case["ignore_index"]
    losses, norms, lrs = [], [], []
    first_grads = None
    for step, batch in enumerate(case["batches"]):
        lr = warmup_cosine(step, sch["peak"], sch["min"], sch["warmup"], sch["total"])
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        # gradient accumulation: each micro-batch's mean loss goes back scaled by 1/k
        k = case.get("micro_batches", 1)
        inputs = torch.tensor(batch["inputs"]).chunk(k)
        targets = torch.tensor(batch["targets"]).chunk(k)
        value = 0.0
        for x, y in zip(inputs, targets):
            part = loss(p, cfg, x, y, ii) / k
            part.backward()
            value += part.detach()
        if first_grads is None:
            first_grads = {n: p[n].grad.detach().clone() for n in names}
        norms.append(torch.nn.utils.clip_grad_norm_(params, case["clip"]).item())
        opt.step()
        losses.append(value.item())
        lrs.append(lr)
    write_safetensors("%s/torch-%s-grads.safetensors" % (case_dir, tag), first_grads)
    write_safetensors("%s/torch-%s-final.safetensors" % (case_dir, tag), {n: p[n] for n in names})
    with open("%s/torch-%s.json" % (case_dir, tag), "w") as f:
        json.dump({"torch": torch.__version__, "loss": losses[0], "losses": losses, "grad_norms": norms,
                   "lrs": lrs}, f)
    return losses


def main(argv):
    if len(argv) < 2 or argv[0] != "conformance":
        sys.exit(__doc__)
    torch.set_num_threads(1)
    for case_dir in argv[1:]:
        with open(case_dir + "/case.json") as f:
            rounds = json.load(f)["config"].get("q8_activations")
        runs = ((torch.float32, "f32"), (torch.float64, "f64")) + (((torch.float32, "f32-unrounded"),) if rounds else ())
        for dtype, tag in runs:
            losses = run_case(case_dir, dtype, tag)
            print("%s %s: losses %s" % (case_dir, tag, " ".join("%.6f" % x for x in losses)))


if __name__ == "__main__":
    main(sys.argv[1:])
