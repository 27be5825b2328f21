"""Affine (mean-preserving) ablation, ``--edit affine``: the constants' math, that llama.cpp applies them
(control vector) so the residual stream's component along v equals the reference, storage in the adapter,
one-line errors for bad constants, no --merge."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.modify.tiny import N_EMBD, N_LAYER, build_tiny
from weightwatch.errors import UserError
from weightwatch.modify.adapter import Edit, write_adapter, write_merged
from weightwatch.modify.affine import KEY_DATA, KEY_LAYERS, cvec_buffer, read_constants, write_constants
from weightwatch.modify.direction import orthonormal
from weightwatch.modify.gguf_io import check_adapter, read_header, tensor_f32

pytest.importorskip("gguf")

PROMPTS = ["hello world", "the world is a hello", "a hello of the world", "hello", "world of the hello world"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _v(seed: int = 1) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(N_EMBD)
    return v / np.linalg.norm(v)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return build_tiny(tmp_path / "tiny.gguf")


def test_constants_are_the_mean_writes_along_v() -> None:
    rng = np.random.default_rng(0)
    means = {i: rng.standard_normal(N_EMBD) for i in range(N_LAYER)}
    embd = rng.standard_normal(N_EMBD)
    v = _v()

    def basis(_layer: int) -> np.ndarray:
        return orthonormal(v)

    c = write_constants(means, embd, basis, [1, 2])
    assert sorted(c) == [1, 2]
    assert np.allclose(c[2], v * (v @ (means[2] - means[1])))
    assert np.allclose(c[1], v * (v @ (means[1] - means[0])))
    c_all = write_constants(means, embd, basis, range(N_LAYER))
    assert sorted(c_all) == [1, 2]  # layer 0's constant goes to layer 1 (llama.cpp has none for layer 0)
    assert np.allclose(c_all[1], v * (v @ (means[1] - embd)))
    with pytest.raises(ValueError, match="layer 1"):
        write_constants(means, embd, basis, [0])
    buf = cvec_buffer(c_all, N_EMBD, N_LAYER, 0.5)
    assert buf.shape == ((N_LAYER - 1) * N_EMBD,)
    assert np.allclose(buf[N_EMBD:], 0.5 * c_all[2], atol=1e-6)


def _reference(s: object, layers: range) -> dict[int, np.ndarray]:
    acts = [s.run(p, layers=layers)[1] for p in PROMPTS]  # type: ignore[attr-defined]
    return {i: np.mean([a[i] for a in acts], axis=0).astype(np.float64) for i in layers}


def test_llamacpp_sets_the_component_to_the_reference(tiny: Path, tmp_path: Path) -> None:
    """Through llama.cpp: with every layer edited at lambda 1 the component along v after layer L >= 1 is the
    reference prompts' mean, for a prompt outside the reference; after layer 0 it is the embedding's (no control
    vector for layer 0). A window keeps the component entering it plus the reference's change inside it."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    base = read_header(tiny)
    v = _v()
    before = _sha(tiny)
    emb = tensor_f32(base, "token_embd.weight")
    layers = range(N_LAYER)
    with Session(tiny, n_ctx=64, n_threads=1) as s:
        last = s.chat_tokens("hello world")[-1]
        assert {s.chat_tokens(p)[-1] for p in PROMPTS} == {last}  # the generation prompt ends every prompt
        mu = _reference(s, layers)
        e = emb[last].astype(np.float64)
        _, a0 = s.run("world world the", layers=layers)
        assert max(abs(float((a0[i] - mu[i]) @ v)) for i in layers) > 0.05  # base: not at the reference

        edit = Edit(direction=v, lam=1.0, layers=tuple(layers), source_layer=1, window="all")
        consts = write_constants(mu, e, edit.basis, edit.layers)
        out = tmp_path / "affine.gguf"
        write_adapter(base, Edit(direction=v, lam=1.0, layers=edit.layers, source_layer=1, window="all",
                                 constants=consts), out, {})
        head = check_adapter(out, base)
        assert sorted(head.fields[KEY_LAYERS]) == [1, 2]
        s.set_adapter(out, 1.0)
        _, a1 = s.run("world world the", layers=layers)
        assert abs(float(a1[0] @ v) - float(e @ v)) < 1e-4
        for i in range(1, N_LAYER):
            assert abs(float(a1[i] @ v) - float(mu[i] @ v)) < 1e-4
        # a reference prompt is where it was on average: the edit moves the reference mean to itself
        got = [s.run(p, layers=layers)[1] for p in PROMPTS]
        for i in range(1, N_LAYER):
            assert abs(float(np.mean([g[i] for g in got], axis=0) @ v) - float(mu[i] @ v)) < 1e-4
        s.set_adapter(out, 0.5)  # half strength: half of the removal and half of the constant
        _, ah = s.run("world world the", layers=layers)
        assert abs(float(ah[2] @ v) - float(mu[2] @ v)) > 1e-3

        # a window (layers 1..2): the component entering it, moved by the reference's change inside it
        wedit = Edit(direction=v, lam=1.0, layers=(1, 2), source_layer=1, window="+-1")
        wout = tmp_path / "affine-window.gguf"
        write_adapter(base, Edit(direction=v, lam=1.0, layers=(1, 2), source_layer=1, window="+-1",
                                 constants=write_constants(mu, e, wedit.basis, wedit.layers)), wout, {})
        s.set_adapter(wout, 1.0)
        _, aw = s.run("world world the", layers=layers)
        assert abs(float(aw[0] @ v) - float(a0[0] @ v)) < 1e-4  # layer 0 not edited
        for i in (1, 2):
            assert abs(float(aw[i] @ v) - float((a0[0] + mu[i] - mu[0]) @ v)) < 1e-4

        s.set_adapter(None)  # the control vector goes with the adapter
        _, a2 = s.run("world world the", layers=layers)
        assert max(float(np.abs(a2[i] - a0[i]).max()) for i in layers) < 1e-5
    assert _sha(tiny) == before


async def test_affine_adapter_as_a_target(tiny: Path, tmp_path: Path) -> None:
    """gguf:BASE+lora:ADAPTER applies the constants too: the target's greedy answer is the capture session's
    with the same adapter, and not the one of the same adapter without its constants."""
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session
    from weightwatch.targets.spec import parse_target
    from weightwatch.types import ChatRequest, Message

    base = read_header(tiny)
    v = _v()
    layers = tuple(range(N_LAYER))
    plain, affine = tmp_path / "ablation.gguf", tmp_path / "affine.gguf"
    write_adapter(base, Edit(direction=v, lam=1.0, layers=layers, source_layer=1, window="all"), plain, {})
    write_adapter(base, Edit(direction=v, lam=1.0, layers=layers, source_layer=1, window="all",
                             constants={1: v * 8.0, 2: v * -6.0}), affine, {})
    want: dict[Path, str] = {}
    with Session(tiny, n_ctx=64, n_threads=1) as s:
        for path in (plain, affine):
            s.set_adapter(path, 1.0)
            want[path] = s.detokenize(s.generate_tokens("hello world", 8)[2])
    assert want[plain] != want[affine]
    req = ChatRequest(messages=[Message(role="user", content="hello world")], max_tokens=8)
    for path in (plain, affine):
        t = parse_target(f"gguf:{tiny}+lora:{path}")
        try:
            await t.start()
            got = await t.complete(req)
        finally:
            await t.aclose()
        # random byte tokens: the two decoders drop incomplete UTF-8 differently
        assert got.ok and got.text.replace("\ufffd", "") == want[path].replace("\ufffd", ""), path.name


def _with_constants(tiny: Path, tmp_path: Path, layers: list[int], data: list[float]) -> Path:
    import gguf

    base = read_header(tiny)
    good = tmp_path / "good.gguf"
    write_adapter(base, Edit(direction=_v(), lam=1.0, layers=tuple(range(N_LAYER)), source_layer=1, window="all"),
                  good, {})
    head = read_header(good, what="adapter")
    bad = tmp_path / f"bad-{len(data)}-{layers}.gguf"
    w = gguf.GGUFWriter(str(bad), "llama")
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 1.0)
    w.add_array(KEY_LAYERS, layers)
    w.add_array(KEY_DATA, data)
    for t in head.reader.tensors:
        w.add_tensor(t.name, np.asarray(t.data).reshape(tuple(reversed([int(x) for x in t.shape]))))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return bad


@pytest.mark.parametrize(("layers", "n", "message"), [
    ([1], N_EMBD - 3, "values for 1 layer"),
    ([0], N_EMBD, "layer"),
    ([1, 7], 2 * N_EMBD, "layer"),
    ([1], -1, "non-finite"),
])
def test_bad_constants_get_one_line_errors(tiny: Path, tmp_path: Path, layers: list[int], n: int,
                                           message: str) -> None:
    data = [float("nan")] * N_EMBD if n == -1 else [0.5] * n
    bad = _with_constants(tiny, tmp_path, layers, data)
    with pytest.raises(UserError, match=message) as exc:
        check_adapter(bad, read_header(tiny))
    assert "\n" not in str(exc.value)
    pytest.importorskip("llama_cpp")
    from weightwatch.modify.capture import Session

    with Session(tiny, n_ctx=64, n_threads=1) as s, pytest.raises(UserError, match=message):
        s.set_adapter(bad, 1.0)


def test_read_constants_none_and_malformed() -> None:
    assert read_constants({}, N_EMBD, N_LAYER, "x") is None
    with pytest.raises(UserError, match="malformed"):
        read_constants({KEY_LAYERS: "1", KEY_DATA: [0.0]}, N_EMBD, N_LAYER, "x")


def test_merge_refuses_the_affine_edit(tiny: Path, tmp_path: Path) -> None:
    base = read_header(tiny)
    v = _v()
    edit = Edit(direction=v, lam=1.0, layers=(1, 2), source_layer=1, window="+-1", constants={1: v, 2: v})
    with pytest.raises(UserError, match="--merge cannot") as exc:
        write_merged(base, edit, tmp_path / "m.gguf", {}, qtype="F16")
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "m.gguf").exists()


def test_orthogonal_to_language_offsets_gives_one_mean_projection() -> None:
    """Constructed activations: two languages with a large offset that the refusal direction partly follows;
    after orthogonal_to, each language's mean projection is the same, and the refusal part is kept."""
    from weightwatch.modify.direction import layer_means, orthogonal_to

    rng = np.random.default_rng(5)
    n = 32
    lang_off = rng.standard_normal(n) * 4
    refusal = rng.standard_normal(n)
    acts = {"en": [{0: lang_off + rng.standard_normal(n) * 0.1} for _ in range(20)],
            "zh": [{0: -lang_off + rng.standard_normal(n) * 0.1} for _ in range(20)]}
    means = {lg: layer_means(a)[0] for lg, a in acts.items()}
    overall = np.mean(list(means.values()), axis=0)
    v = refusal + 0.8 * lang_off
    got = orthogonal_to({0: v / np.linalg.norm(v)}, {0: [m - overall for m in means.values()]})[0]
    assert abs(float(np.linalg.norm(got)) - 1) < 1e-9
    assert abs(float(means["en"] @ got) - float(means["zh"] @ got)) < 1e-9
    assert float(got @ refusal) > 0.5 * float(np.linalg.norm(refusal))
    assert orthogonal_to({0: lang_off / np.linalg.norm(lang_off)}, {0: [lang_off]}) == {}
