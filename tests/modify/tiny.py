"""A tiny llama-architecture GGUF with random weights that llama.cpp can load (built with gguf.GGUFWriter)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_EMBD, N_LAYER, N_HEAD, N_FF = 64, 3, 4, 128
BYTES = [f"<0x{i:02X}>" for i in range(256)]
WORDS = ["▁hello", "▁world", "▁the", "▁a", "▁is", "▁of", "h", "e", "l", "o", "w", "r", "d"]
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def build_tiny(path: Path, *, seed: int = 0, arch: str = "llama", n_embd: int = N_EMBD,
               f16: bool = False) -> Path:
    import gguf

    rng = np.random.default_rng(seed)
    tokens = ["<unk>", "<s>", "</s>", *BYTES, *WORDS]
    n_vocab = len(tokens)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny-random")
    w.add_context_length(128)
    w.add_embedding_length(n_embd)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_rope_dimension_count(n_embd // N_HEAD)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(1 if f16 else 0)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * 3 + [0.0] * 256 + [-float(i + 1) for i in range(len(WORDS))])
    w.add_token_types([2, 3, 3] + [6] * 256 + [1] * len(WORDS))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_chat_template(TEMPLATE)

    def t(*shape: int, scale: float = 0.2) -> np.ndarray:
        a = (rng.standard_normal(shape) * scale).astype(np.float32)
        return a.astype(np.float16) if f16 and len(shape) == 2 else a

    w.add_tensor("token_embd.weight", t(n_vocab, n_embd, scale=1.0).astype(np.float32))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor("output.weight", t(n_vocab, n_embd))
    for i in range(N_LAYER):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(f"blk.{i}.{name}.weight", t(n_embd, n_embd))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", t(N_FF, n_embd))
        w.add_tensor(f"blk.{i}.ffn_up.weight", t(N_FF, n_embd))
        w.add_tensor(f"blk.{i}.ffn_down.weight", t(n_embd, N_FF))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
