#!/usr/bin/env python3
"""Peer for scripts/bench-smoke: all-MiniLM-L6-v2 in plain numpy (safetensors + tokenizers wheels).

An independent implementation of the same computation `modelvet smoke` runs (BERT encoder, mean
pooling, L2 norm), so the similarities cross-check candle's and the timings sit side by side.
Prints one JSON line.
"""
import json
import math
import resource
import sys
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The license requires attribution in every copy.",
]


def main(d):
    t = time.perf_counter()
    w = load_file(f"{d}/model.safetensors")
    cfg = json.load(open(f"{d}/config.json"))
    tok = Tokenizer.from_file(f"{d}/tokenizer.json")
    tok.no_padding()
    load_ms = (time.perf_counter() - t) * 1000
    eps, nh = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    erf = np.vectorize(math.erf)

    def ln(x, p):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + eps) * w[p + ".weight"] + w[p + ".bias"]

    def lin(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def embed(ids):
        s = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:s]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = ln(x, "embeddings.LayerNorm")
        hd = x.shape[1] // nh
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}"
            q, k, v = (lin(x, f"{p}.attention.self.{n}").reshape(s, nh, hd).transpose(1, 0, 2)
                       for n in ("query", "key", "value"))
            a = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(1, 0, 2).reshape(s, -1)
            x = ln(lin(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            h = lin(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
            x = ln(lin(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        e = x.mean(0)
        return e / np.linalg.norm(e)

    t = time.perf_counter()
    e = [embed(tok.encode(s).ids) for s in SENTENCES]
    forward_ms = (time.perf_counter() - t) * 1000
    print(json.dumps({
        "similar": round(float(e[0] @ e[1]), 4),
        "unrelated": round(float(e[0] @ e[2]), 4),
        "load_ms": round(load_ms, 1),
        "forward_ms": round(forward_ms, 1),
        "in_process_ms": round((time.perf_counter() - T0) * 1000, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
