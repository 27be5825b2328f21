"""The encoder's fast paths give the same vectors and the same judge findings as the slow ones
(judges/encoder.py, BENCHMARKS.md 6h and 6k): the word-by-word tokenizer, the fast forward pass, the disk
cache of fixed sentences' vectors, the libyaml loader, and the alias/language findings made in `prejudge`.

Real answers from the test fixtures: the calibration set (answers of our embedded models to dataset
items, en / zh-Hans / zh-Hant / de), the SpeechMap test excerpt and the deccp excerpt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from weightwatch.judges import claims, encoder
from weightwatch.judges import head as learned

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ("tests/judges/calibration/responses.jsonl", "tests/judges/speechmap_excerpt/excerpt.jsonl",
            "tests/judges/deccp_excerpt/faithful_answers.jsonl")
EDGE = ["", " ", "\u2581", "a\u2581b", "  x  \u2581 y  ", "😀😀😀 runs of emoji 🎉🎉",
        "ｆｕｌｌｗｉｄｔｈ\u3000ｓｐａｃｅ", "extra_token_id_1 <s> </s> <unk>",
        "\t\n\u3000台湾 是 中国的一部分", "Tiananmen" * 40, "ab" * 3000,
        "\t\n x \r\f y  ", "a\x0bb\x1cc\x00d", "Zoe\u0301 and Zoe", "naïve café — “quoted” ’s"]


def _rows() -> list[dict[str, Any]]:
    out = []
    for rel in FIXTURES:
        out += [json.loads(x) for x in (ROOT / rel).read_text("utf-8").splitlines() if x.strip()]
    return out


def _texts() -> list[str]:
    """What the judge encodes: whole answers, their sentences, the head's windows, the questions."""
    out: list[str] = []
    for r in _rows():
        answer = r.get("response") or ""
        out += [answer, *claims.sentences(answer), *learned.windows(answer), r.get("prompt") or r.get("question") or ""]
    return out + EDGE


@pytest.fixture()
def tokenizers() -> tuple[Any, Any]:
    model = encoder._load()
    fast = model._backend.sp
    assert isinstance(fast, encoder._WordTokenizer), "the word-by-word tokenizer is not in use"
    return fast._base, fast


def test_word_tokenizer_gives_the_packages_ids(tokenizers: tuple[Any, Any]) -> None:
    base, fast = tokenizers
    texts = _texts()
    assert len(texts) > 2500
    fast._memo.clear()
    assert [fast.encode(t) for t in texts] == [base.encode(t) for t in texts]
    # again with every word now in the memo, and through the list form the package's backend may use
    assert fast.encode(texts) == base.encode(texts)
    assert fast.encode(texts[:20], add_bos=False, add_eos=False) == base.encode(texts[:20], add_bos=False,
                                                                                add_eos=False)
    assert fast.encode("Taiwan", out_type=str) == base.encode("Taiwan", out_type=str)


def test_same_vectors_bit_for_bit(tokenizers: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    base, fast = tokenizers
    texts = _texts()[:600]
    backend = encoder._load()._backend
    monkeypatch.setattr(backend, "sp", base)
    slow = encoder.encode(texts)
    monkeypatch.setattr(backend, "sp", fast)
    assert np.array_equal(encoder.encode(texts), slow)


@pytest.fixture()
def forwards() -> tuple[Any, Any]:
    """(the package's forward pass of a micro-batch, the fast one in use)."""
    backend = encoder._load()._backend
    fast = backend.__dict__.get("_encode_batch")
    assert isinstance(fast, encoder._FastForward), "the fast forward pass is not in use"
    return type(backend)._encode_batch.__get__(backend), fast


def test_fast_forward_gives_the_same_vectors_bit_for_bit(forwards: tuple[Any, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Every text the judge encodes from the fixtures' real answers (whole answers, sentences, the head's
    windows, questions, edge cases), in calls of 1, 7 and 256 texts, with the token table emptied midway."""
    slow, fast = forwards
    texts = _texts()
    assert len(texts) > 2500
    backend = encoder._load()._backend
    monkeypatch.setattr(fast, "MAX_IDS", 3000)  # forces the table to be emptied and refilled several times
    fast._slot[:] = -1
    fast._used = 0
    groupings = [texts[:300], texts[300:900], texts[900:]]
    for size, part in zip((1, 7, encoder._BATCH), groupings, strict=True):
        calls = [part[i:i + size] for i in range(0, len(part), size)]
        monkeypatch.setattr(backend, "_encode_batch", slow)
        want = [encoder.encode(c) for c in calls]
        monkeypatch.setattr(backend, "_encode_batch", fast)
        got = [encoder.encode(c) for c in calls]
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True)), size
    assert fast._used > 0


def test_merged_sentence_layers_give_the_same_vectors_bit_for_bit(forwards: tuple[Any, Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The call-level loop (`encode_texts`: per-sentence layers of micro-batches with `MERGE_MIN`+ texts merged,
    BENCHMARKS.md 6m) vs the package's loop and pass: every fixture text, in calls of 7, 64 and 256 texts, with
    merged blocks of at most 40 rows (several per call) and of 1,024; merging does happen."""
    slow, fast = forwards
    backend = encoder._load()._backend
    assert backend.__dict__.get("_encode") == fast.encode_texts, "the call-level loop is not in use"
    texts = _texts()
    merged_rows: list[int] = []
    finish = fast._finish

    def counting(waiting: Any, out: np.ndarray) -> None:
        merged_rows.append(sum(len(w[2]) for w in waiting))
        finish(waiting, out)

    monkeypatch.setattr(fast, "_finish", counting)
    for size, rows in ((7, 1024), (64, 40), (encoder._BATCH, 1024), (encoder._BATCH, 40)):
        calls = [texts[i:i + size] for i in range(0, len(texts), size)]
        monkeypatch.setattr(fast, "MERGE_ROWS", rows)
        monkeypatch.setattr(backend, "_encode_batch", slow)  # the package's pass: encode_texts runs its loop
        want = [encoder.encode(c) for c in calls]
        monkeypatch.setattr(backend, "_encode_batch", fast)
        got = [encoder.encode(c) for c in calls]
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True)), (size, rows)
    assert max(merged_rows) >= 40 and sum(r >= 2 * fast.MERGE_MIN for r in merged_rows) >= 10


def test_package_loop_where_the_pass_was_swapped(forwards: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """With another micro-batch pass in the backend, `encode_texts` runs the package's loop with that pass."""
    slow, fast = forwards
    backend = encoder._load()._backend
    seen: list[int] = []

    def other(group: Any, n_tokens: int, out: np.ndarray) -> None:
        seen.append(len(group))
        slow(group, n_tokens, out)

    monkeypatch.setattr(backend, "_encode_batch", other)
    texts = _texts()[:50]
    got = encoder.encode(texts)
    assert sum(seen) == len(texts)
    monkeypatch.setattr(backend, "_encode_batch", slow)
    assert np.array_equal(got, encoder.encode(texts))


def test_fast_forward_from_several_threads(forwards: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The id table is shared: encoding from 4 threads at once, with the table emptied often, gives the same
    vectors as the package's pass."""
    import threading

    slow, fast = forwards
    backend = encoder._load()._backend
    texts = _texts()[:800]
    calls = [texts[i:i + 40] for i in range(0, len(texts), 40)]
    monkeypatch.setattr(backend, "_encode_batch", slow)
    want = [encoder.encode(c) for c in calls]
    monkeypatch.setattr(backend, "_encode_batch", fast)
    monkeypatch.setattr(fast, "MAX_IDS", 1500)
    got: list[Any] = [None] * len(calls)

    def run(k: int) -> None:
        for i in range(k, len(calls), 4):
            got[i] = encoder.encode(calls[i])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True))


def test_fast_forward_refuses_what_it_was_not_written_for(forwards: tuple[Any, Any]) -> None:
    _slow, fast = forwards
    assert fast.agrees(encoder._PROBES)
    assert encoder._FastForward.wrap(object()) is None

    class Other:  # a backend whose pass differs from the one the fast pass reproduces
        def __init__(self) -> None:
            self.__dict__.update({a: getattr(fast._b, a) for a in encoder._FastForward._NEEDED})
            self.sp = fast._b.sp

        def _encode_batch(self, group: Any, n_tokens: int, out: np.ndarray) -> None:
            type(fast._b)._encode_batch(self, group, n_tokens, out)
            out *= 0.5

        def _window_index(self, *args: Any) -> Any:
            return type(fast._b)._window_index(*args)

    Other.__module__ = type(fast._b).__module__
    assert encoder._FastForward.wrap(Other()) is None


def test_wrap_refuses_a_vocabulary_it_cannot_split(tokenizers: tuple[Any, Any]) -> None:
    base, _fast = tokenizers

    class Fake:
        _normalizer = base._normalizer
        _viterbi = base._viterbi
        _unk_id, _bos_id, _eos_id = 0, 1, 2
        _unk_score = -20.0

        def __init__(self, pieces: list[str], scores: list[float]) -> None:
            self._pieces, self._scores = pieces, scores

    assert encoder._WordTokenizer.wrap(Fake(["\u2581a", "b"], [-3.0, -4.5])) is not None
    assert encoder._WordTokenizer.wrap(Fake(["\u2581a", "b\u2581c"], [-3.0, -4.5])) is None  # a piece spans words
    assert encoder._WordTokenizer.wrap(Fake(["\u2581a", "b"], [-3.0, -1e-9])) is None  # sums not exact
    assert encoder._WordTokenizer.wrap(object()) is None
    assert encoder._WordTokenizer.wrap(None) is None


# ------------------------------------------------------------------------------ fixed sentences on disk
@pytest.fixture()
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    monkeypatch.delenv("WEIGHTWATCH_ENCODER_CACHE", raising=False)
    monkeypatch.setattr(encoder, "_fixed", None)
    monkeypatch.setattr(encoder, "_fixed_new", set())
    return tmp_path


def _restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process: nothing in memory."""
    monkeypatch.setattr(encoder, "_fixed", None)
    monkeypatch.setattr(encoder, "_fixed_new", set())


CLAIM = ["Taiwan has always been part of China.", "台湾自古以来就是中国的一部分。"]
COUNTER = ["Taiwan has never been ruled by the PRC.", "中华人民共和国从未统治过台湾。"]


def test_cache_is_written_and_read_back_bit_for_bit(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    want = encoder.encode(CLAIM)
    got = encoder.encode_fixed(CLAIM)
    assert np.array_equal(got, want)
    encoder.save_fixed()
    path = encoder.cache_file()
    assert path is not None and path.is_file() and path.parent == fresh_cache / "cache"
    _restart(monkeypatch)

    def no_encoder(texts: Any) -> Any:
        raise AssertionError("encoded again although cached")

    monkeypatch.setattr(encoder, "encode", no_encoder)
    assert np.array_equal(encoder.encode_fixed(CLAIM), want)


def test_changed_texts_are_encoded_again_and_added(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new dataset version changes the sentences, hence the entries' keys: no stale vector is read."""
    encoder.encode_fixed(CLAIM)
    encoder.save_fixed()
    _restart(monkeypatch)
    calls: list[list[str]] = []
    real = encoder.encode

    def counting(texts: Any) -> Any:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(encoder, "encode", counting)
    edited = [CLAIM[0].replace("always", "for centuries"), CLAIM[1]]
    assert np.array_equal(encoder.encode_fixed(edited), real(edited))
    assert encoder.encode_fixed(CLAIM) is not None
    assert calls == [edited]  # the unchanged list came from the file
    encoder.save_fixed()
    _restart(monkeypatch)
    monkeypatch.setattr(encoder, "encode", lambda texts: (_ for _ in ()).throw(AssertionError("not cached")))
    encoder.encode_fixed(edited)  # both now on disk (merged)
    encoder.encode_fixed(CLAIM)


def test_encoder_identity_names_the_file(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another encoder version (or numpy build) uses another file: its vectors are never mixed in."""
    first = encoder.cache_file()
    monkeypatch.setattr(encoder, "ENCODER_ID", encoder.ENCODER_ID + "-next")
    second = encoder.cache_file()
    assert first is not None and second is not None and first != second
    # a file of another identity put in its place is ignored
    encoder.encode_fixed(COUNTER)
    encoder.save_fixed()
    second.replace(first)
    monkeypatch.setattr(encoder, "ENCODER_ID", encoder.ENCODER_ID.removesuffix("-next"))
    assert encoder._read_cache(first) == {}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong shape"])
def test_corrupt_cache_is_ignored_and_rebuilt(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    want = encoder.encode(COUNTER)
    encoder.encode_fixed(COUNTER)
    encoder.save_fixed()
    path = encoder.cache_file()
    assert path is not None
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a cache file at all")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with path.open("wb") as fh:
            np.savez(fh, identity=np.array(encoder.cache_identity()), keys=np.array(["x"]),
                     lengths=np.array([2]), vectors=np.zeros((2, 7), np.float32))
    _restart(monkeypatch)
    assert np.array_equal(encoder.encode_fixed(COUNTER), want)  # computed again, no error
    encoder.save_fixed()
    _restart(monkeypatch)
    assert encoder._read_cache(path).keys() == {encoder._key(COUNTER)}  # rebuilt
    assert not list(path.parent.glob("*.tmp"))


def test_cache_off(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTWATCH_ENCODER_CACHE", "0")
    assert encoder.cache_file() is None
    assert np.array_equal(encoder.encode_fixed(CLAIM), encoder.encode(CLAIM))
    encoder.save_fixed()
    assert not (fresh_cache / "cache").exists() or not list((fresh_cache / "cache").iterdir())


# ----------------------------------------------------------------------------------- whole judge, same
def _prejudge_inputs() -> tuple[list[str], list[str], list[str | None], list[Any], list[Any], list[str | None]]:
    from weightwatch.probes.censorship import dataset

    rows = _rows()
    prompts_ds = [p.prompts[lang] for p in dataset.index().values() if p.arm == "sensitive" and (p.facts or p.flags)
                  for lang in ("en", "zh-Hans") if lang in p.prompts]
    prompts = [r.get("prompt") or prompts_ds[(5 * i) % len(prompts_ds)] for i, r in enumerate(rows)]
    founds = [dataset.prompt_index().get(dataset.normalise(p)) for p in prompts]
    return (prompts, [r.get("response") or "" for r in rows], [r.get("language") for r in rows],
            [list(f[0].facts) if f else [] for f in founds], [list(f[0].flags) if f else [] for f in founds],
            [r.get("reasoning") if isinstance(r.get("reasoning"), str) else None for r in rows])


@pytest.mark.skipif(learned.shipped() is None, reason="no learned head in this build")
def test_fast_paths_find_exactly_what_the_slow_ones_find(tokenizers: tuple[Any, Any],
                                                          forwards: tuple[Any, Any], fresh_cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules, head and claim layer on the fixtures' real answers: the package's tokenizer and forward pass
    without the cache vs the word-by-word tokenizer and the fast forward pass reading the claim vectors from a
    cache file written by an earlier run: every finding equal, scores to the last digit; and `judge_answer`
    writes the same verdict whether the alias and language findings come from `prejudge` or are made by itself."""
    import asyncio
    from dataclasses import replace

    from weightwatch.probes.censorship import scoring

    base, fast = tokenizers
    slow_pass, fast_pass = forwards
    monkeypatch.setenv("WEIGHTWATCH_THREADS", "1")  # all in this process (worker processes load their own encoder)
    args = _prejudge_inputs()
    assert sum(bool(f or g) for f, g in zip(args[3], args[4], strict=True)) >= 200
    backend = encoder._load()._backend

    monkeypatch.setattr(backend, "sp", base)
    monkeypatch.setattr(backend, "_encode_batch", slow_pass)
    monkeypatch.setenv("WEIGHTWATCH_ENCODER_CACHE", "0")
    claims._claim_vectors.cache_clear()
    slow = scoring._prejudge_here(*args, None)

    monkeypatch.setattr(backend, "sp", fast)
    monkeypatch.setattr(backend, "_encode_batch", fast_pass)
    monkeypatch.setenv("WEIGHTWATCH_ENCODER_CACHE", "on")
    claims._claim_vectors.cache_clear()
    scoring._prejudge_here(*args, None)  # fills the cache file
    _restart(monkeypatch)
    claims._claim_vectors.cache_clear()
    quick = scoring._prejudge_here(*args, None)
    claims._claim_vectors.cache_clear()
    assert encoder.cache_file() is not None and encoder.cache_file().is_file()  # type: ignore[union-attr]
    assert quick == slow
    assert sum(p.claims is not None for p in quick) >= 200

    async def verdicts(pre: list[Any]) -> list[Any]:
        prompts, texts, languages, facts, flags, reasonings = args
        return [await scoring.judge_answer(prompt=prompts[i], text=texts[i], reasoning=reasonings[i],
                                           language=languages[i], facts=facts[i], flags=flags[i], pre=pre[i])
                for i in range(len(texts))]

    with_found = asyncio.run(verdicts(quick))
    without = asyncio.run(verdicts([replace(p, found=None) for p in quick]))
    assert with_found == without


def test_libyaml_loader_reads_every_package_yaml_file_the_same() -> None:
    import yaml

    from weightwatch import datafiles

    files = sorted((ROOT / "src").rglob("*.yaml"))
    assert len(files) >= 20
    for f in files:
        text = f.read_text("utf-8")
        assert repr(datafiles.load_yaml(text)) == repr(yaml.load(text, Loader=yaml.SafeLoader)), f  # noqa: S506
