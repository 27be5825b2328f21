"""The rank-1 LoRA adapter: its math, that llama.cpp applies it exactly, the base untouched, bad adapters."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.modify.tiny import N_EMBD, N_LAYER, build_tiny
from weightwatch.errors import UserError
from weightwatch.modify.adapter import Edit, lora_pair, write_adapter, write_merged
from weightwatch.modify.gguf_io import check_adapter, read_header, tensor_f32

pytest.importorskip("gguf")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _v(n: int = N_EMBD, seed: int = 1) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(n)
    return v / np.linalg.norm(v)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return build_tiny(tmp_path / "tiny.gguf")


def test_lora_pair_is_the_projection() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((N_EMBD, 40)).astype(np.float32)
    v = _v()
    for lam in (1.0, 0.5, 1.5):
        a, b = lora_pair(w, v, lam)
        assert a.shape == (1, 40) and b.shape == (N_EMBD, 1)
        merged = w.astype(np.float64) + b.astype(np.float64) @ a.astype(np.float64)
        expected = (np.eye(N_EMBD) - lam * np.outer(v, v)) @ w
        assert np.allclose(merged, expected, atol=1e-5)
        x = rng.standard_normal(40)
        assert abs(v @ merged @ x - (1 - lam) * (v @ w @ x)) < 1e-4


def test_adapter_tensors_follow_llamacpp_conventions(tiny: Path, tmp_path: Path) -> None:
    base = read_header(tiny)
    edit = Edit(direction=_v(), lam=1.0, layers=tuple(range(N_LAYER)), source_layer=1, window="all")
    out = tmp_path / "ad.gguf"
    names = write_adapter(base, edit, out, {"base_sha256": "x"})
    assert len(names) == 2 * N_LAYER
    head = check_adapter(out, base)
    assert head.general_type == "adapter" and head.fields["adapter.type"] == "lora"
    assert head.fields["weightwatch.modify.base_sha256"] == "x"
    for name in names:
        w_ne = base.tensors[name][0]
        a_ne, b_ne = head.tensors[name + ".lora_a"][0], head.tensors[name + ".lora_b"][0]
        assert a_ne == (w_ne[0], 1) and b_ne == (1, w_ne[1])  # ggml ne order: A [n_in, r], B [r, n_out]
        a = tensor_f32(head, name + ".lora_a")
        b = tensor_f32(head, name + ".lora_b")
        w = tensor_f32(base, name)
        assert np.allclose(w + b @ a, w - np.outer(edit.direction, edit.direction @ w), atol=1e-5)


def test_llamacpp_removes_the_component_along_v(tiny: Path, tmp_path: Path) -> None:
    """Through llama.cpp itself: with every residual write projected, the residual stream's component along v
    never changes from the token embedding's, at any layer."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    base = read_header(tiny)
    v = _v()
    out = tmp_path / "ad.gguf"
    before = _sha(tiny)
    write_adapter(base, Edit(direction=v, lam=1.0, layers=tuple(range(N_LAYER)), source_layer=1, window="all"),
                  out, {})
    assert _sha(tiny) == before  # the base file is untouched
    emb = tensor_f32(base, "token_embd.weight")
    with Session(tiny, n_ctx=64, n_threads=1) as s:
        last = s.chat_tokens("hello world")[-1]
        logits0, acts0 = s.run("hello world", layers=range(N_LAYER))
        along_embd = float(emb[last] @ v)
        assert max(abs(float(acts0[i] @ v) - along_embd) for i in range(N_LAYER)) > 0.1  # base: v changes
        s.set_adapter(out, 1.0)
        logits1, acts1 = s.run("hello world", layers=range(N_LAYER))
        for i in range(N_LAYER):
            assert abs(float(acts1[i] @ v) - along_embd) < 1e-4
        assert np.abs(logits1 - logits0).max() > 1e-3  # the edit changes the output
        s.set_adapter(out, 0.5)  # half strength: half of each write's component remains
        _, acts_half = s.run("hello world", layers=range(N_LAYER))
        assert abs(float(acts_half[0] @ v) - along_embd) > 1e-3
        s.set_adapter(None)
        logits2, _ = s.run("hello world", layers=range(N_LAYER))
        assert np.allclose(logits2, logits0, atol=1e-5)
    assert _sha(tiny) == before


def test_merged_model_equals_the_adapter(tiny: Path, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    base = read_header(tiny)
    v = _v()
    edit = Edit(direction=v, lam=1.0, layers=tuple(range(N_LAYER)), source_layer=1, window="all")
    merged = tmp_path / "merged.gguf"
    write_merged(base, edit, merged, {}, qtype="F16")
    head = read_header(merged)
    assert head.fields["weightwatch.modify.merged_type"] == "F16"
    assert head.tensors["blk.0.ffn_down.weight"][1] == "F16"
    emb = tensor_f32(base, "token_embd.weight")
    with Session(merged, n_ctx=64, n_threads=1) as s:
        last = s.chat_tokens("hello world")[-1]
        _, acts = s.run("hello world", layers=range(N_LAYER))
    for i in range(N_LAYER):  # F16 storage of the edited weights: a small residue only
        assert abs(float(acts[i] @ v) - float(emb[last] @ v)) < 0.02


def test_bad_adapters_get_one_line_errors(tiny: Path, tmp_path: Path) -> None:
    base = read_header(tiny)
    edit = Edit(direction=_v(), lam=1.0, layers=(0,), source_layer=0, window="all")
    good = tmp_path / "ad.gguf"
    write_adapter(base, edit, good, {})
    # truncated
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    # a model, not an adapter
    # another architecture / another width
    other_arch = build_tiny(tmp_path / "q.gguf", arch="qwen2")
    wrong_arch = tmp_path / "wrong-arch.gguf"
    write_adapter(read_header(other_arch), edit, wrong_arch, {})
    narrow = build_tiny(tmp_path / "narrow.gguf", n_embd=32)
    wrong_width = tmp_path / "wrong-width.gguf"
    write_adapter(read_header(narrow), Edit(direction=_v(32), lam=1.0, layers=(0,), source_layer=0, window="all"),
                  wrong_width, {})
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf at all")
    cases = {bad: "not a readable GGUF", tiny: "is not a LoRA adapter", wrong_arch: "architecture",
             wrong_width: "does not fit", junk: "not a GGUF"}
    for path, words in cases.items():
        with pytest.raises(UserError) as info:
            check_adapter(path, base)
        line = info.value.one_line()
        assert words in line and "\n" not in line, line
    check_adapter(good, tiny)  # the good one passes, from a path too


def test_prefix_cache_gives_the_same_numbers(tiny: Path) -> None:
    """Session.run reuses the KV cache of the prompt prefix it shares with the last prompt: same results."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    with Session(tiny, n_ctx=128, n_threads=1) as s:
        fresh_logits, fresh_acts = s.run("the world is", layers=range(N_LAYER))
    with Session(tiny, n_ctx=128, n_threads=1) as s:
        s.run("the world of hello", layers=range(N_LAYER))
        s.generate("a", 3)
        logits, acts = s.run("the world is", layers=range(N_LAYER))
        again, _ = s.run("the world is")
    assert np.allclose(logits, fresh_logits, atol=1e-4) and np.allclose(again, fresh_logits, atol=1e-4)
    for i in range(N_LAYER):
        assert np.allclose(acts[i], fresh_acts[i], atol=1e-4)


def test_prefix_logprob_is_teacher_forced(tiny: Path) -> None:
    """prefix_logprob scores a given continuation token by token: its first term is the first-token log-softmax,
    it only falls as tokens are added, and the greedy continuation scores at least as high as one that differs
    in its last token."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session
    from weightwatch.modify.search import log_softmax

    with Session(tiny, n_ctx=128, n_threads=1) as s:
        first, _, greedy = s.generate_tokens("the world is", 4)
        assert len(greedy) == 4
        lp1, logits = s.prefix_logprob("the world is", greedy[:1])
        assert np.allclose(logits, first, atol=1e-4)
        assert lp1 == pytest.approx(float(log_softmax(first)[greedy[0]]), abs=1e-4)
        lps = [s.prefix_logprob("the world is", greedy[:k])[0] for k in range(1, 5)]
        assert all(b <= a + 1e-6 for a, b in zip(lps, lps[1:], strict=False))
        other = [*greedy[:3], (greedy[3] + 1) % s.n_vocab]
        assert s.prefix_logprob("the world is", other)[0] < lps[-1]
        # and the cached prompt is reused correctly afterwards
        again, _ = s.run("the world is")
    assert np.allclose(again, first, atol=1e-4)


def test_run_many_matches_one_prompt_at_a_time(tiny: Path, tmp_path: Path) -> None:
    """run_many (shared prefix, many prompts in one batch, greedy answers decoded together, forced tokens scored
    in the same pass) gives the numbers of run / generate_tokens / prefix_logprob one prompt at a time, with and
    without an adapter: exactly with one prompt per batch (n_seq 1), to llama.cpp's rounding when prompts share
    a batch (n_seq 2, 5 prompts: also more prompts than one batch holds). Rounding depends on how many rows a
    matrix product has; this random model amplifies it to ~0.3% of a logit, a misplaced row or position would
    change the numbers entirely."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    prompts = ["the world is", "hello world of the", "a", "the hello is a world of", "world"]
    v = np.random.default_rng(3).standard_normal(N_EMBD).astype(np.float32)
    adapter = tmp_path / "a.gguf"
    write_adapter(read_header(tiny), Edit(direction=v / np.linalg.norm(v), lam=1.0, layers=(0, 1, 2),
                                          source_layer=1, window="all"), adapter, {})
    limits = [5, 5, 5, 2, 0]
    for n_seq, tol in ((1, 1e-5), (2, 3e-2)):
        with Session(tiny, n_ctx=128, n_threads=1, n_seq=n_seq) as s:
            for path in (None, adapter):
                s.set_adapter(path, 0.7)
                single = [s.generate_tokens(p, 5, range(N_LAYER)) for p in prompts]
                forced = [single[0][2][:3], [], single[2][2][:1], single[3][2][:4], []]
                lps = [s.prefix_logprob(p, f)[0] if f else None for p, f in zip(prompts, forced, strict=True)]
                many = s.run_many(prompts, range(N_LAYER), max_tokens=limits)
                scored = s.run_many(prompts, forced=forced)
                for i, (first, acts, toks) in enumerate(single):
                    assert np.allclose(many[i].first, first, atol=tol), (n_seq, i)
                    assert np.allclose(scored[i].first, first, atol=tol)
                    assert many[i].tokens == toks[: limits[i]]
                    for layer in range(N_LAYER):
                        scale = float(np.abs(acts[layer]).max())
                        assert np.allclose(many[i].acts[layer], acts[layer], atol=tol * scale), (n_seq, i, layer)
                    if lps[i] is None:
                        assert scored[i].forced_logprob is None
                    else:
                        # one pass over prompt + forced tokens vs token by token: other row counts, same rounding
                        assert scored[i].forced_logprob == pytest.approx(lps[i], abs=max(tol, 1e-3))
                # one-prompt calls still work after a batch (sequence 0 is shared by both paths)
                again, _ = s.run(prompts[0])
                assert np.allclose(again, single[0][0], atol=tol)
            s.set_adapter(None)


def test_run_many_prompts_do_not_see_each_other(tiny: Path) -> None:
    """Prompts share one KV cache (and the cells of their common start) but not their own tokens: a prompt's
    numbers are bit-identical whichever prompt of the same length shares its batch."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    with Session(tiny, n_ctx=128, n_threads=1, n_seq=4) as s:
        a, b, c = "the world is", "world is a", "is a hello"
        assert len(s.chat_tokens(b)) == len(s.chat_tokens(c))
        with_b = s.run_many([a, b], range(N_LAYER), max_tokens=4)[0]
        with_c = s.run_many([a, c], range(N_LAYER), max_tokens=4)[0]
    assert np.array_equal(with_b.first, with_c.first) and with_b.tokens == with_c.tokens
    for layer in range(N_LAYER):
        assert np.array_equal(with_b.acts[layer], with_c.acts[layer])


def _basis(k: int, seed: int = 5, n: int = N_EMBD) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, k)))
    return q


def test_rank_k_lora_pair_is_the_projection() -> None:
    """k directions: W + B A = (I - lam V V^T) W; non-orthonormal input is orthonormalised first; padding to a
    higher rank adds zero rows / columns that change nothing."""
    from weightwatch.modify.direction import orthonormal

    rng = np.random.default_rng(0)
    w = rng.standard_normal((N_EMBD, 40)).astype(np.float32)
    raw = rng.standard_normal((N_EMBD, 3))  # not orthonormal
    basis = orthonormal(raw)
    assert basis.shape == (N_EMBD, 3) and np.allclose(basis.T @ basis, np.eye(3), atol=1e-12)
    for lam, rank in ((1.0, None), (0.5, None), (1.0, 5)):
        a, b = lora_pair(w, raw, lam, rank=rank)
        r = rank or 3
        assert a.shape == (r, 40) and b.shape == (N_EMBD, r)
        merged = w.astype(np.float64) + b.astype(np.float64) @ a.astype(np.float64)
        assert np.allclose(merged, (np.eye(N_EMBD) - lam * basis @ basis.T) @ w, atol=1e-5)
        if lam == 1.0:  # every one of the k components of every write is gone
            assert np.abs(raw.T @ merged).max() < 1e-4 * np.abs(raw.T @ w).max()
    dup = np.stack([raw[:, 0], 2 * raw[:, 0]], axis=1)  # a direction twice: one column
    assert orthonormal(dup).shape == (N_EMBD, 1)
    with pytest.raises(ValueError):
        lora_pair(w, raw, 1.0, rank=2)


def test_llamacpp_removes_k_components(tiny: Path, tmp_path: Path) -> None:
    """Through llama.cpp: a rank-3 adapter (alpha = 3, so llama.cpp's alpha / rank scale is 1) keeps the
    residual stream's components along all three directions equal to the token embedding's at every layer."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    base = read_header(tiny)
    vs = _basis(3)
    out = tmp_path / "ad3.gguf"
    before = _sha(tiny)
    edit = Edit(direction=vs, lam=1.0, layers=tuple(range(N_LAYER)), source_layer=1, window="all")
    names = write_adapter(base, edit, out, {})
    assert _sha(tiny) == before
    head = check_adapter(out, base)
    assert head.fields["adapter.lora.alpha"] == pytest.approx(3.0)
    for name in names:
        w_ne = base.tensors[name][0]
        assert head.tensors[name + ".lora_a"][0] == (w_ne[0], 3) and head.tensors[name + ".lora_b"][0] == (3, w_ne[1])
    emb = tensor_f32(base, "token_embd.weight")
    with Session(tiny, n_ctx=64, n_threads=1) as s:
        last = s.chat_tokens("hello world")[-1]
        logits0, acts0 = s.run("hello world", layers=range(N_LAYER))
        along = emb[last] @ vs
        assert max(float(np.abs(acts0[i] @ vs - along).max()) for i in range(N_LAYER)) > 0.1
        s.set_adapter(out, 1.0)
        logits1, acts1 = s.run("hello world", layers=range(N_LAYER))
        for i in range(N_LAYER):
            assert float(np.abs(acts1[i] @ vs - along).max()) < 1e-4, i
        assert np.abs(logits1 - logits0).max() > 1e-3
        s.set_adapter(None)
    assert _sha(tiny) == before


def test_llamacpp_per_layer_directions(tiny: Path, tmp_path: Path) -> None:
    """Each layer its own direction(s), ranks 1 and 2 mixed in one adapter (padded to rank 2): through
    llama.cpp, every layer's write into the residual stream has no component along that layer's directions,
    and does along another layer's."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    base = read_header(tiny)
    own = {0: _basis(1, seed=10)[:, 0], 1: _basis(2, seed=11), 2: _basis(1, seed=12)[:, 0]}
    edit = Edit(direction=own[1], lam=1.0, layers=(0, 1, 2), source_layer=1, window="all", per_layer=own)
    assert edit.rank == 2
    out = tmp_path / "per-layer.gguf"
    write_adapter(base, edit, out, {})
    assert check_adapter(out, base).fields["adapter.lora.alpha"] == pytest.approx(2.0)
    emb = tensor_f32(base, "token_embd.weight")
    with Session(tiny, n_ctx=64, n_threads=1) as s:
        last = s.chat_tokens("hello world")[-1]
        s.set_adapter(out, 1.0)
        _, acts = s.run("hello world", layers=range(N_LAYER))
        s.set_adapter(None)
    prev = [emb[last], acts[0], acts[1]]
    for i in range(N_LAYER):
        write = acts[i] - prev[i]
        assert float(np.abs(write @ own[i]).max()) < 1e-4, i
        other = own[(i + 1) % N_LAYER]
        assert float(np.abs(write @ other).max()) > 1e-3, i


def test_merged_rank_k_equals_the_projection(tiny: Path, tmp_path: Path) -> None:
    base = read_header(tiny)
    vs = _basis(2)
    edit = Edit(direction=vs, lam=0.5, layers=(1,), source_layer=1, window="+-0")
    merged = tmp_path / "merged2.gguf"
    write_merged(base, edit, merged, {}, qtype="F16")
    head = read_header(merged)
    w = tensor_f32(base, "blk.1.ffn_down.weight").astype(np.float64)
    w2 = tensor_f32(head, "blk.1.ffn_down.weight").astype(np.float64)
    assert np.allclose(w2, w - 0.5 * vs @ (vs.T @ w), atol=2e-3)  # F16 storage
    assert np.array_equal(tensor_f32(head, "blk.0.ffn_down.weight"), tensor_f32(base, "blk.0.ffn_down.weight"))
