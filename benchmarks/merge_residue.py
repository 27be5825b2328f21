"""How much of the removed component a merged (re-encoded) edit puts back: F16 vs Q8_0, on real tensors.

    PYTHONPATH=src python benchmarks/merge_residue.py [MODEL.gguf]

For two random unit directions per tensor: project W' = W - v v^T W from the dequantized base tensor,
store W' as F16 or Q8_0 (gguf's own quantizer), decode it and print |v^T W'| / |v^T W|.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gguf
import numpy as np

from weightwatch.modify.gguf_io import read_header, tensor_f32


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    h = read_header(path)
    rng = np.random.default_rng(0)
    for name in ("blk.12.attn_output.weight", "blk.12.ffn_down.weight"):
        w = tensor_f32(h, name).astype(np.float64)
        for _ in range(2):
            v = rng.standard_normal(w.shape[0])
            v /= np.linalg.norm(v)
            w2 = w - np.outer(v, v @ w)
            before = np.linalg.norm(v @ w)
            f16 = w2.astype(np.float16).astype(np.float64)
            q = gguf.quants.quantize(w2.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            q8 = gguf.quants.dequantize(q, gguf.GGMLQuantizationType.Q8_0).reshape(w.shape).astype(np.float64)
            print(f"{name} ({h.tensors[name][1]}): left after F16 {np.linalg.norm(v @ f16) / before:.5f}, "
                  f"after Q8_0 {np.linalg.norm(v @ q8) / before:.5f}")


if __name__ == "__main__":
    main()
