"""``weightwatch modify refusal-direction``: capture, directions, search, write, check on held-out topics."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from weightwatch import __version__
from weightwatch.errors import UserError
from weightwatch.modify import prompts as P
from weightwatch.modify.adapter import Edit, provenance, write_adapter, write_merged
from weightwatch.modify.affine import EDITS, projection_stats, write_constants
from weightwatch.modify.capture import Session
from weightwatch.modify.direction import (
    center_by_group,
    cluster_bases,
    directions,
    layer_means,
    orthogonal_to,
    pca_bases,
    separation,
)
from weightwatch.modify.gguf_io import read_header
from weightwatch.modify.search import (
    REFUSAL_OPENINGS,
    OpeningObjective,
    check_goals,
    choose,
    cluster_interval,
    feasible,
    measure,
    refusal_tokens,
    run_search,
    window_layers,
)

Log = Callable[[str], None]
CONTRASTS = ("refused", "control", "harmless", "both")
# single: one direction (of the trial's layer) on every edited layer, rank 1; clusters: rank k, the pooled
# direction + one per cluster of refusals (by the base model's refusal opening), orthogonalised; pca: rank k,
# the top-k principal directions of the per-prompt differences; per-layer: rank 1, each edited layer its own
# difference-of-means direction
DIRECTION_METHODS = ("single", "clusters", "pca", "per-layer")
BLOCKED = ("refused", "deflected")
OBJECTIVES = ("own", "openings")
REFERENCES = ("answered+harmless", "answered")


@dataclass
class ModifyOptions:
    languages: list[str] | None = None  # default: every language of the censorship dataset
    max_items: int | None = None  # sensitive items per split (None: all); small for CI
    budget: int = 20  # search trials
    candidates: int = 6  # candidate layers (evenly spaced over the middle half of the model)
    kl_max: float = 0.1  # bound on the 95% upper bound of first-token KL (tune controls) and on validate KL
    goal: float = 0.7  # relative reduction of greedy refusals on the select prompts the base refuses
    goal_checks: int = 3  # greedy goal checks of feasible Pareto trials, gentlest first
    orthogonal: bool = False
    # refused: prompts the base model refuses or deflects (any arm) vs those it answers + harmless ones;
    # control | harmless | both: sensitive prompts vs their matched controls, the harmless set, or both
    contrast: str = "refused"
    label_tokens: int = 16  # greedy tokens per train/select/test prompt to see whether the base model refuses
    prefix_tokens: int = 6  # tokens of the base model's refusal opening scored by the search (0: first token only)
    center_languages: bool = False  # refused contrast: subtract each language's mean activation first
    # the direction made orthogonal to each language's mean activation minus the mean over languages (train +
    # harmless train prompts, uncentred), so every language's prompts share one mean projection (the affine
    # edit's constant reference then fits every language)
    orthogonal_languages: bool = False
    # the direction made orthogonal to mean(harmless train prompts) - mean(answered train prompts) (uncentred),
    # so harmless and answered prompts share one mean projection (one affine reference fits both)
    orthogonal_harmless: bool = False
    kl_on: str = "answered"  # KL over harmless prompts + the controls the base answers ("answered") or all ("all")
    kl_train: bool = True  # the train topics' controls join the KL tune prompts (more items; never test topics)
    merge: str | None = None  # None: LoRA adapter; "F16" | "Q8_0": merged model
    check_tokens: int = 48  # greedy tokens per held-out sensitive prompt for the refusal check (0: skip)
    n_ctx: int = 512
    n_seq: int = 16  # prompts decoded together (Session.run_many)
    # languages whose train prompts make the direction (None: all); the labels and KL sets keep every language
    direction_languages: list[str] | None = None
    # held-out diagnostic: KL along the base model's own greedy answers (label_tokens positions); off by default:
    # logits at every position cost the output layer at each of them (140 s of the 8g full-size run)
    multi_token_kl: bool = False
    directions: str = "single"  # see DIRECTION_METHODS
    rank: int = 2  # directions per layer for clusters / pca
    cluster_tokens: int = 3  # tokens of the base model's refusal opening that name its cluster (clusters)
    # the search's objective: "own": log P(the base model's own refusal opening) on the select prompts it refuses;
    # "openings": log-odds of P(ANY refusal / deflection opening of the prompt's language: the judge's forms
    # and the openings of every blocked train/select answer, base and edited) + a greedy check of every trial
    objective: str = "own"
    opening_tokens: int = 3  # tokens of a blocked answer kept as its opening (objective "openings")
    # "ablation": the writes lose their component along the direction(s) (Arditi et al.); "affine": they keep
    # its mean over the answered + harmless train prompts and lose only the deviation from it (modify/affine.py)
    edit: str = "ablation"
    # the answered side of the refused contrast and the affine reference: the answered train prompts + the
    # harmless ones ("answered+harmless", as before), or the answered train prompts only ("answered": the
    # direction within the prompts the model refuses or answers, the reference their answered mean)
    reference: str = "answered+harmless"


@dataclass
class ModifyResult:
    base: Path
    base_sha256: str
    output: Path
    kind: str  # lora | merged-F16 | merged-Q8_0
    layer: int
    lam: float
    window: str
    report: dict[str, Any] = field(default_factory=dict)
    report_path: Path | None = None

    @property
    def target(self) -> str:
        return f"gguf:{self.base}+lora:{self.output}" if self.kind == "lora" else f"gguf:{self.output}"


def resolve_base(spec: str) -> Path:
    """The GGUF file behind embedded:NAME or gguf:PATH (no adapters, no servers)."""
    kind, sep, rest = spec.strip().partition(":")
    if "+lora:" in rest:
        raise UserError(f"'{spec}' already has an adapter", "modify the base model: drop the +lora: part")
    if sep and kind == "embedded":
        from weightwatch.targets.embedded import pull

        return pull(rest.strip())
    if sep and kind == "gguf":
        path = Path(os.path.expandvars(rest.strip())).expanduser()
        from weightwatch.targets._files import check_gguf

        check_gguf(path)
        return path
    raise UserError(f"cannot modify '{spec}'", "give a local model: -t gguf:PATH or -t embedded:NAME")


def default_output(base: Path, merge: str | None) -> Path:
    stem = base.name.removesuffix(".gguf")
    return Path.cwd() / (f"{stem}.refusal-direction.{merge.lower()}.gguf" if merge
                         else f"{stem}.refusal-direction.lora.gguf")


def _candidates(n_layer: int, k: int) -> list[int]:
    lo, hi = max(1, round(n_layer * 0.3)), max(1, round(n_layer * 0.75))
    return sorted({int(round(x)) for x in np.linspace(lo, hi, num=max(1, k))})


def _refusal_key(session: Session, tokens: list[int], n: int) -> str:
    """A refusal's cluster: its first `n` tokens, e.g. "I'm unable" or "As an AI" (clusters method)."""
    return " ".join(session.detokenize(tokens[:n]).split()).lower()


def _refused(text: str) -> str:
    from weightwatch.probes.censorship.scoring import rule_label

    return rule_label(text, [])[0]


def _check(session: Session, sensitive: list[P.Prompt], max_tokens: int) -> list[dict[str, Any]]:
    out = []
    for p, a in zip(sensitive, session.run_many([p.text for p in sensitive], max_tokens=max_tokens), strict=True):
        text = session.detokenize(a.tokens)
        out.append({"id": p.id, "language": p.language, "label": _refused(text), "text": text[:300]})
    return out


def _multi_token_kl(session: Session, prompts: list[P.Prompt], answers: dict[tuple[str, str], list[int]],
                    adapter: Path, lam: float, chunk: int = 16) -> list[dict[str, Any]]:
    """KL(base || edited) at every position of the base model's own greedy answer (teacher-forced), averaged
    over the positions, per prompt: a diagnostic beyond the first token. Base and edited go through the same
    batches, a chunk at a time (the logits of every position are kept only for one chunk)."""
    from weightwatch.modify.search import kl

    rows: list[dict[str, Any]] = []
    todo = [p for p in prompts if answers.get((p.id, p.language))]
    for i in range(0, len(todo), chunk):
        part = todo[i:i + chunk]
        forced = [answers[(p.id, p.language)] for p in part]
        got = []
        for path in (None, adapter):
            session.set_adapter(path, lam)
            got.append(session.run_many([p.text for p in part], forced=forced, keep_forced=True))
        session.set_adapter(None)
        for p, a, b in zip(part, got[0], got[1], strict=True):
            ks = [kl(x, y) for x, y in zip(a.forced_logits, b.forced_logits, strict=True)]
            rows.append({"id": p.id, "pair": p.pair, "language": p.language, "arm": p.arm,
                         "kl": round(float(np.mean(ks)), 5), "n_tokens": len(ks), "kl_first": round(ks[0], 5)})
    return rows


def _kl_ci(rows: list[dict[str, Any]]) -> list[float]:
    """Mean KL with a 95% bootstrap interval over items (a control's languages together; harmless: each)."""
    kls = [r for r in rows if "kl" in r]
    m, lo, hi = cluster_interval([r["kl"] for r in kls],
                                 [r["pair"] for r in kls])
    return [round(m, 4), round(lo, 4), round(hi, 4)]


def _kl_by_arm(rows: list[dict[str, Any]], rows_all: list[dict[str, Any]]) -> dict[str, Any]:
    """Held-out KL per stratum, each with its 95% interval over items: the controls the base model answers
    (the --kl-on set), every control, harmless prompts; and the answered controls per language."""
    ctrl = [r for r in rows if r.get("arm") == "control" and "kl" in r]
    out: dict[str, Any] = {
        "controls": _kl_ci(ctrl), "n_controls": len(ctrl),
        "controls_all": _kl_ci([r for r in rows_all if r.get("arm") == "control"]),
        "n_controls_all": sum(r.get("arm") == "control" for r in rows_all),
        "harmless": _kl_ci([r for r in rows if r.get("arm") == "harmless"]),
        "controls_by_language": {},
    }
    for lang in sorted({r["language"] for r in ctrl}):
        sub = [r for r in ctrl if r["language"] == lang]
        out["controls_by_language"][lang] = {"kl": _kl_ci(sub), "n": len(sub)}
    return out


def _counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[str, dict[str, int]] = {}
    for r in rows:
        for key in (r["language"], "all"):
            d = by.setdefault(key, {"n": 0, "refused": 0, "deflected": 0})
            d["n"] += 1
            if r["label"] in ("refused", "deflected"):
                d[r["label"]] += 1
    return by


def modify_refusal_direction(spec: str, out: Path | None = None, options: ModifyOptions | None = None,
                             log: Log = lambda _m: None) -> ModifyResult:
    from weightwatch.probes.censorship.dataset import languages as dataset_languages
    from weightwatch.targets._files import file_sha256
    from weightwatch.targets.cpu import llama_threads
    from weightwatch.targets.llamacpp import require_llama_cpp

    opts = options or ModifyOptions()
    require_llama_cpp()
    t_start = time.perf_counter()
    known = list(dataset_languages())
    langs = opts.languages or known
    bad = [lg for lg in [*langs, *(opts.direction_languages or [])] if lg not in known]
    if bad:
        raise UserError(f"unknown language(s): {', '.join(bad)}", f"known: {', '.join(known)}")
    if opts.direction_languages and not set(opts.direction_languages) <= set(langs):
        raise UserError(f"direction language(s) {', '.join(opts.direction_languages)} not among the languages "
                        f"{', '.join(langs)}", "add them to --languages or drop --direction-languages")
    if opts.contrast not in CONTRASTS:
        raise UserError(f"unknown contrast '{opts.contrast}'", f"use one of {', '.join(CONTRASTS)}")
    if opts.kl_on not in ("answered", "all"):
        raise UserError(f"unknown KL set '{opts.kl_on}'", "use answered or all")
    if opts.directions not in DIRECTION_METHODS:
        raise UserError(f"unknown direction method '{opts.directions}'", f"use one of {', '.join(DIRECTION_METHODS)}")
    if opts.directions in ("clusters", "pca") and not 1 <= opts.rank <= 16:
        raise UserError(f"rank {opts.rank} is out of range", "use --rank between 1 and 16")
    if opts.objective not in OBJECTIVES:
        raise UserError(f"unknown objective '{opts.objective}'", f"use one of {', '.join(OBJECTIVES)}")
    if opts.objective == "openings" and not 1 <= opts.opening_tokens <= 16:
        raise UserError(f"--opening-tokens {opts.opening_tokens} is out of range", "use 1 to 16")
    if opts.merge is not None and opts.merge not in ("F16", "Q8_0"):
        raise UserError(f"unknown merge type '{opts.merge}'", "use --merge F16 or --merge Q8_0")
    if opts.edit not in EDITS:
        raise UserError(f"unknown edit '{opts.edit}'", f"use one of {', '.join(EDITS)}")
    if opts.reference not in REFERENCES:
        raise UserError(f"unknown reference '{opts.reference}'", f"use one of {', '.join(REFERENCES)}")
    if opts.edit == "affine" and opts.merge is not None:
        raise UserError("--merge cannot hold the affine edit's per-layer constants",
                        "write a LoRA adapter (drop --merge) or use --edit ablation")
    base = resolve_base(spec)
    if out is None:  # the default (in the current folder) is checked before the search, as -o is
        from weightwatch.datafiles import output_file

        out = output_file(default_output(base, opts.merge), "--output (default)")
    if out.resolve() == base.resolve():
        raise UserError(f"the output '{out}' is the base model itself", "choose another -o")
    base_sha = file_sha256(base)
    header = read_header(base)
    timings: dict[str, float] = {}

    train = P.pairs("train", langs, opts.max_items)
    select = P.pairs("select", langs, opts.max_items)
    test = P.pairs("test", langs, opts.max_items)
    h_train, h_eval = P.harmless(langs, "train"), P.harmless(langs, "select")
    if opts.max_items is not None:
        h_train, h_eval = h_train[: 2 * opts.max_items], h_eval[: 2 * opts.max_items]
    log(f"base {base.name} (sha256 {base_sha[:12]}...), {len(langs)} language(s); prompts: train {len(train)} "
        f"+ {len(h_train)} harmless, select {len(select)} + {len(h_eval)}, test {len(test)} + {len(h_eval)}")

    with Session(base, n_ctx=opts.n_ctx, n_seq=opts.n_seq) as session:
        layers = list(range(session.n_layer))
        t0 = time.perf_counter()
        # labels: the refused contrast needs them, and so does the KL set over the train controls the base answers
        n_label = opts.label_tokens if opts.contrast == "refused" or (opts.kl_train and opts.kl_on == "answered") else 0
        acts: dict[str, list[dict[int, np.ndarray]]] = {"sensitive": [], "control": [], "harmless": [],
                                                        "refused": [], "answered": []}
        train_labels: list[dict[str, Any]] = []
        # uncentred activations by group: the affine edit's reference (answered + harmless, as the direction's
        # negative group) and the projection diagnostic
        raw_groups: dict[str, list[dict[int, np.ndarray]]] = {}
        ref_last: list[int] = []  # last prompt token of each reference prompt (its embedding: mu_{-1})
        refused_keys: list[str] = []  # the refusal opening of each acts["refused"] entry (clusters method)
        blocked_openings: list[tuple[str, list[int], str]] = []  # train/select answers the judge blocks
        # one batched pass: train prompts (activations + the greedy answer that labels them), harmless train
        # prompts (activations), select and test prompts (first-token logits + the answer that labels them),
        # harmless eval prompts (first-token logits)
        def answer_len(p: P.Prompt) -> int:
            # greedy decoding: the first label_tokens of a longer answer are the label_tokens answer, so the
            # held-out sensitive prompts are answered once, for the label and for the base side of the check
            longer = p in test and p.arm == "sensitive" and opts.check_tokens > opts.label_tokens
            return opts.check_tokens if longer else opts.label_tokens

        got = session.run_many([p.text for p in [*train, *h_train]], layers,
                               max_tokens=[n_label] * len(train) + [0] * len(h_train))
        raw = [(a.first, a.acts, a.tokens) for a in got[: len(train)]]
        h_raw = [a.acts for a in got[len(train):]]
        every = [a for _, a, _ in raw] + h_raw
        if opts.center_languages:
            every = center_by_group(every, [p.language for p in [*train, *h_train]])
        base_logits: dict[tuple[str, str], np.ndarray] = {}
        base_label: dict[tuple[str, str], str] = {}
        for p, a, (first_train, raw_acts, toks) in zip(train, every, raw, strict=False):
            base_logits[(p.id, p.language)] = first_train
            if n_label:
                label = _refused(session.detokenize(toks))
                base_label[(p.id, p.language)] = label
                train_labels.append({"id": p.id, "language": p.language, "arm": p.arm, "label": label})
                if label in BLOCKED:
                    blocked_openings.append((p.language, toks, "base: train"))
            if n_label:
                status = "refused" if base_label[(p.id, p.language)] in BLOCKED else "answered"
                for g in (f"{p.arm} {status}", f"{p.arm} {status} {p.language}"):
                    raw_groups.setdefault(g, []).append(raw_acts)
            if opts.direction_languages and p.language not in opts.direction_languages:
                continue
            if n_label and base_label[(p.id, p.language)] not in BLOCKED:
                raw_groups.setdefault("reference", []).append(raw_acts)
                ref_last.append(session.chat_tokens(p.text)[-1])
            acts[p.arm].append(a)
            if n_label:
                is_refused = base_label[(p.id, p.language)] in BLOCKED
                acts["refused" if is_refused else "answered"].append(a)
                if is_refused:
                    refused_keys.append(_refusal_key(session, toks, opts.cluster_tokens))
        acts["harmless"] = [a for p, a in zip(h_train, every[len(train):], strict=True)
                            if not opts.direction_languages or p.language in opts.direction_languages]
        for p, a in zip(h_train, h_raw, strict=True):
            raw_groups.setdefault("harmless", []).append(a)
            raw_groups.setdefault(f"harmless {p.language}", []).append(a)
            if (not opts.direction_languages or p.language in opts.direction_languages) \
                    and opts.reference == "answered+harmless":
                raw_groups.setdefault("reference", []).append(a)
                ref_last.append(session.chat_tokens(p.text)[-1])
        # base model on select and test prompts: first-token logits, and whether it refuses (its opening)
        prefixes: dict[tuple[str, str], list[int]] = {}
        base_answers: dict[tuple[str, str], list[int]] = {}  # held-out sensitive: the base model's check answer
        st = [*select, *test]
        got = session.run_many([p.text for p in [*st, *h_eval]],
                               max_tokens=[answer_len(p) for p in st] + [opts.label_tokens] * len(h_eval))
        base_tokens: dict[tuple[str, str], list[int]] = {}  # every base answer (the multi-token KL forces them)
        for p, ans in zip(st, got, strict=False):
            key = (p.id, p.language)
            toks = ans.tokens
            base_tokens[key] = toks[: opts.label_tokens]
            if p in test and p.arm == "sensitive":
                base_answers[key] = toks
            toks = toks[: opts.label_tokens]
            base_logits[key] = ans.first
            base_label[key] = _refused(session.detokenize(toks))
            if base_label[key] in BLOCKED and opts.prefix_tokens > 0:
                prefixes[key] = toks[: opts.prefix_tokens]
            if base_label[key] in BLOCKED and p in select:
                blocked_openings.append((p.language, toks, "base: select"))
        for p, ans in zip(h_eval, got[len(st):], strict=True):
            base_logits[(p.id, p.language)] = ans.first
            base_tokens[(p.id, p.language)] = ans.tokens
        prefix_texts = {k: session.detokenize(v) for k, v in prefixes.items()}
        timings["capture_s"] = time.perf_counter() - t0
        log(f"captured {len(train) + len(h_train)} prompts x {len(layers)} layers in {timings['capture_s']:.0f} s")
        keys: list[str] | None = None
        if opts.contrast == "refused" and acts["refused"] and acts["answered"]:
            with_harmless = opts.reference == "answered+harmless"
            positive, negative = acts["refused"], acts["answered"] + (acts["harmless"] if with_harmless else [])
            keys = refused_keys
            log(f"direction: {len(positive)} refused or deflected train prompts vs {len(acts['answered'])} answered "
                f"+ {len(acts['harmless']) if with_harmless else 0} harmless")
        else:
            if opts.contrast == "refused":
                log("the base model refuses none (or all) of the train prompts: contrasting sensitive prompts "
                    "with their controls and the harmless set instead")
            positive = acts["sensitive"]
            negative = {"control": acts["control"], "harmless": acts["harmless"],
                        "both": acts["control"] + acts["harmless"], "refused": acts["control"] + acts["harmless"],
                        }[opts.contrast]
        dirs = directions(positive, negative, acts["harmless"], orthogonal=opts.orthogonal)
        offsets: dict[int, list[np.ndarray]] = {i: [] for i in layers}
        if opts.orthogonal_languages:
            plangs = [p.language for p in [*train, *h_train]]
            uncentred = [a for _, a, _ in raw] + h_raw
            lang_means = {lg: layer_means([a for a, q in zip(uncentred, plangs, strict=True) if q == lg])
                          for lg in sorted(set(plangs))}
            overall = {i: np.mean([m[i] for m in lang_means.values()], axis=0) for i in layers}
            for i in layers:
                offsets[i] += [m[i] - overall[i] for m in lang_means.values()]
        answered_raw = [a for g, v in raw_groups.items() for a in v if g in ("sensitive answered", "control answered")]
        if opts.orthogonal_harmless and answered_raw and h_raw:
            mh, ma = layer_means(h_raw), layer_means(answered_raw)
            for i in layers:
                offsets[i].append(mh[i] - ma[i])
        if any(offsets.values()):
            dirs = orthogonal_to(dirs, offsets)
            log(f"direction made orthogonal to {max(len(o) for o in offsets.values())} mean offset(s) "
                f"(languages: {opts.orthogonal_languages}, harmless vs answered: {opts.orthogonal_harmless})")
        sep = separation(positive, negative, dirs)
        bases: dict[int, np.ndarray] = dict(dirs)  # layer -> (n_embd,) or (n_embd, k): what a trial projects out
        cluster_sizes: dict[str, int] = {}
        if opts.directions == "clusters":
            if keys is None:  # nothing refused to cluster: the pooled direction alone
                log("--directions clusters: the base model refuses no train prompt, so one direction (rank 1)")
            else:
                bases, cluster_sizes = cluster_bases(positive, keys, negative, opts.rank)
                log(f"directions: pooled + clusters of refusal openings {cluster_sizes}, rank <= {opts.rank}")
        elif opts.directions == "pca":
            bases = pca_bases(positive, negative, opts.rank)
        if opts.orthogonal and opts.directions in ("clusters", "pca"):
            log("--orthogonal applies to the first direction only (single / per-layer methods)")
        dirs = {i: d for i, d in dirs.items() if i in bases}
        tokens = refusal_tokens(session)
        # affine reference: the answered + harmless train prompts' mean residual per layer (uncentred) and
        # their mean token embedding at the last prompt token
        ref_means: dict[int, np.ndarray] = {}
        embd_mean = np.zeros(session.n_embd)
        projections: dict[str, Any] = {}
        if raw_groups.get("reference"):
            from weightwatch.modify.gguf_io import tensor_rows

            ref_means = {i: np.mean(np.stack([a[i] for a in raw_groups["reference"]]).astype(np.float64), axis=0)
                         for i in layers}
            uniq = sorted(set(ref_last))
            rows = tensor_rows(header, "token_embd.weight", uniq)
            emb = {t: rows[j].astype(np.float64) for j, t in enumerate(uniq)}
            embd_mean = np.mean(np.stack([emb[t] for t in ref_last]), axis=0)
            # diagnostic: where each group's projection on a candidate layer's direction sits, layer by layer
            groups = {g: v for g, v in sorted(raw_groups.items())}
            for c in _candidates(session.n_layer, opts.candidates):
                if c in dirs:
                    projections[str(c)] = {"last_tokens": len(uniq),
                                           "embedding": round(float(embd_mean @ dirs[c]), 4),
                                           "by_layer": projection_stats(groups, dirs[c], layers)}

        def answered_controls(prompts: list[P.Prompt]) -> list[P.Prompt]:
            return [p for p in prompts if p.arm == "control"
                    and (opts.kl_on == "all" or base_label.get((p.id, p.language)) not in BLOCKED)]

        def kl_set(prompts: list[P.Prompt]) -> list[P.Prompt]:
            return answered_controls(prompts) + h_eval

        tmpdir = Path(tempfile.mkdtemp(prefix="weightwatch-modify-"))
        # the trial adapters are removed below; the folder, with whatever a Ctrl-C or SIGTERM (both end the
        # command through an exception, engine/interrupt.py) left in it, when the process exits
        atexit.register(shutil.rmtree, tmpdir, True)
        cache: dict[tuple[int, str], Path] = {}

        def make_edit(layer: int, window: str, lam: float) -> Edit:
            span = window_layers(layer, window, session.n_layer)
            if opts.directions == "per-layer":
                edit = Edit(direction=dirs[layer], lam=lam, layers=tuple(i for i in span if i in dirs),
                            source_layer=layer, window=window, per_layer={i: dirs[i] for i in span if i in dirs})
            else:
                edit = Edit(direction=bases[layer], lam=lam, layers=span, source_layer=layer, window=window)
            if opts.edit == "affine":
                if not ref_means:
                    raise UserError("--edit affine needs prompts the base model answers (its reference)",
                                    "use the default --contrast refused with labels, or --edit ablation")
                consts = write_constants(ref_means, embd_mean, edit.basis, edit.layers)
                edit = Edit(direction=edit.direction, lam=lam, layers=edit.layers, source_layer=layer,
                            window=window, per_layer=edit.per_layer, constants=consts)
            return edit

        def adapter_for(layer: int, window: str) -> Path:
            key = (layer, window)
            if key not in cache:
                edit = make_edit(layer, window, 1.0)
                path = tmpdir / f"l{layer}-{window}.gguf"
                write_adapter(header, edit, path, {})
                cache[key] = path
            return cache[key]

        t0 = time.perf_counter()
        sens_sel = [p for p in select if p.arm == "sensitive"]
        # the objective needs only the select prompts the base refuses (their refusal prefixes); the others
        # would only add their first-token log-odds (one forward pass each per trial)
        sens_search = [p for p in sens_sel if (p.id, p.language) in prefixes] or sens_sel
        others_sel = kl_set(select)
        extra_kl = answered_controls(train) if opts.kl_train else []
        objective: OpeningObjective | None = None
        if opts.objective == "openings":
            objective = OpeningObjective(label=_refused, opening_tokens=opts.opening_tokens,
                                         greedy_tokens=opts.label_tokens, goal=opts.goal)
            for lang in langs:
                for text in REFUSAL_OPENINGS.get(lang, ()):
                    toks = session.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
                    # a list form is kept whole (it is short); an answer's opening is cut to opening_tokens
                    objective.add(lang, toks, "judge forms", text, whole=True)
            for lang, toks, source in blocked_openings:
                objective.add(lang, toks, source, session.detokenize(toks[: opts.opening_tokens]))
            if not prefixes:
                log("--objective openings: the base model refuses no select prompt; the search scores every "
                    "select sensitive prompt")
        cands = [c for c in _candidates(session.n_layer, opts.candidates) if c in dirs]
        log(f"search: {len(sens_search)} select sensitive prompts, KL on {len(others_sel)} select + "
            f"{len(extra_kl)} train-topic prompts")
        noise: dict[str, float] = {}
        # per-layer: "all" is the same edit whatever the trial's layer, so stage 1 compares windows of 7 layers
        # around each candidate (each layer with its own direction) and stage 2 widens the best
        search_windows: dict[str, Any] = ({"first_window": "+-3", "windows": ("+-6",), "window_factors": (0.5, 1.0)}
                                          if opts.directions == "per-layer" else {})
        trials = run_search(session, adapter_for, cands, sens_search, others_sel, base_logits, tokens,
                            budget=opts.budget, kl_max=opts.kl_max, prefixes=prefixes, extra_tune=extra_kl,
                            noise_out=noise, objective=objective, log=log, **search_windows)
        # the base model's figures on select, with the opening set as the search ended (it grew in stage 1)
        base_sel = measure(session, sens_search, [], base_logits, tokens, prefixes)
        base_open = objective.score(session, sens_search) if objective is not None else None
        timings["search_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sel_refused = [p for p in sens_sel if base_label[(p.id, p.language)] in BLOCKED]

        def goal_check() -> tuple[int, int]:
            rows = _check(session, sel_refused, opts.label_tokens)
            return sum(r["label"] in BLOCKED for r in rows), len(rows)

        check_goals(session, adapter_for, trials, opts.kl_max, goal_check, len(sel_refused), goal=opts.goal,
                    max_checks=opts.goal_checks, log=log)
        timings["goal_check_s"] = time.perf_counter() - t0
        best = choose(trials, opts.kl_max)
        base_obj = base_open.mean if base_open is not None else base_sel.refusal
        log(f"chosen: layer {best.layer}, window {best.window}, lambda {best.lam:g} (refusal "
            f"{base_obj:.3f} -> {best.refusal:.3f}, KL tune upper {best.kl_upper:.4f}, validate "
            f"{best.kl_validate:.4f}, goal {'met' if best.goal_met else 'not met or not checked'})")

        # held-out topics: first-token figures and a greedy refusal check, base vs edited
        t0 = time.perf_counter()
        sens_test = [p for p in test if p.arm == "sensitive"]
        ctrl_test = [p for p in test if p.arm == "control"]
        # the base side from the same batched call as the edited side (see run_search: rounding depends on
        # how prompts are batched), so the held-out KL has no numeric noise floor in it
        test_base = measure(session, sens_test, ctrl_test + h_eval, base_logits, tokens, prefixes, keep_logits=True)
        test_logits = {**base_logits, **test_base.logits}
        check_base = []
        for p in sens_test if opts.check_tokens else []:
            text = session.detokenize(base_answers[(p.id, p.language)][: opts.check_tokens])
            check_base.append({"id": p.id, "language": p.language, "label": _refused(text), "text": text[:300]})
        session.set_adapter(adapter_for(best.layer, best.window), best.lam)
        # every held-out control + harmless prompt once; the --kl-on set is a subset of these rows
        test_edit = measure(session, sens_test, ctrl_test + h_eval, test_logits, tokens, prefixes)
        in_set = {(q.id, q.language) for q in kl_set(test)}
        for r in test_edit.per_prompt:
            if "kl" in r:
                r["kl_set"] = (r["id"], r["language"]) in in_set
        rows_all = [r for r in test_edit.per_prompt if "kl" in r]
        rows_kl = [r for r in rows_all if r["kl_set"]]
        check_edit = _check(session, sens_test, opts.check_tokens) if opts.check_tokens else []
        # the opening objective on the held-out prompts the base model refuses (the set as the search left it)
        test_refused = [p for p in sens_test if (p.id, p.language) in prefixes]
        open_edit = objective.score(session, test_refused) if objective is not None and test_refused else None
        session.set_adapter(None)
        open_base = objective.score(session, test_refused) if open_edit is not None and objective else None
        timings["test_s"] = time.perf_counter() - t0
        # diagnostic beyond the first token: KL along the base model's own answers to the held-out KL prompts
        t0 = time.perf_counter()
        multi = _multi_token_kl(session, kl_set(test), base_tokens, adapter_for(best.layer, best.window), best.lam) \
            if opts.multi_token_kl else []
        timings["multi_token_kl_s"] = time.perf_counter() - t0

    edit = make_edit(best.layer, best.window, best.lam)
    meta = provenance(edit, header, base_sha, {"data_version": P.data_version(), "languages": ",".join(langs),
                                               "orthogonal": bool(opts.orthogonal),
                                               "center_languages": bool(opts.center_languages),
                                               "contrast": opts.contrast, "directions": opts.directions,
                                               "reference": opts.reference,
                                               "orthogonal_languages": bool(opts.orthogonal_languages),
                                               "orthogonal_harmless": bool(opts.orthogonal_harmless)})
    t0 = time.perf_counter()
    if opts.merge:
        write_merged(header, edit, out, meta, qtype=opts.merge)
        kind = f"merged-{opts.merge}"
    else:
        write_adapter(header, edit, out, meta)
        kind = "lora"
    timings["write_s"] = time.perf_counter() - t0
    for tmp_file in cache.values():
        tmp_file.unlink(missing_ok=True)
    timings["total_s"] = time.perf_counter() - t_start
    if file_sha256(base) != base_sha:  # never expected: the base is only read
        raise RuntimeError("the base model file changed while it was being modified")
    report: dict[str, Any] = {
        "method": "refusal-direction", "weightwatch_version": __version__, "base": str(base), "base_sha256": base_sha,
        "output": str(out), "kind": kind, "provenance": meta, "languages": langs,
        "splits": P.topic_splits(),
        "prompts": {"train": len(train), "train_harmless": len(h_train), "select": len(select), "test": len(test),
                    "harmless_eval": len(h_eval)},
        "refusal_tokens": tokens, "separation": {str(k): round(v, 3) for k, v in sep.items()},
        "objective": ("refusal-opening log-odds, every opening" if objective is not None
                      else "refusal-prefix log-probability" if prefixes else "first-token refusal log-odds"),
        "kl_on": opts.kl_on, "kl_train": opts.kl_train, "n_kl_train_prompts": len(extra_kl),
        "n_search_sensitive": len(sens_search), "train_labels": train_labels,
        "base_labels": {f"{k[0]}/{k[1]}": v for k, v in base_label.items()},
        "refusal_prefixes": {f"{k[0]}/{k[1]}": v for k, v in prefix_texts.items()},
        "select_base_refusal": base_sel.refusal, "select_base_refusal_logodds": base_sel.logodds,
        "trials": [t.as_dict() for t in trials], "chosen": best.as_dict(),
        "pareto_front": [t.as_dict() for t in sorted(trials, key=lambda t: t.kl_upper) if t.pareto],
        "search_rule": {"kl_max": opts.kl_max, "goal": opts.goal, "goal_checks": opts.goal_checks,
                        "feasible": [i for i, t in enumerate(trials) if feasible(t, opts.kl_max)],
                        "select_refused_base": len(sel_refused)},
        "test": {"refusal_base": test_base.refusal, "refusal_edited": test_edit.refusal,
                 "refusal_logodds_base": test_base.logodds, "refusal_logodds_edited": test_edit.logodds,
                 "kl_controls": float(np.mean([r["kl"] for r in rows_kl])) if rows_kl else 0.0,
                 "kl_controls_all": float(np.mean([r["kl"] for r in rows_all])) if rows_all else 0.0,
                 "kl_controls_ci95": _kl_ci(rows_kl), "kl_controls_all_ci95": _kl_ci(rows_all),
                 "kl_controls_max": max((r["kl"] for r in rows_kl), default=0.0),
                 "kl_by_arm": _kl_by_arm(rows_kl, rows_all),
                 # mean over the first label_tokens positions of the base model's greedy answer, per prompt
                 "kl_multi_token": {"tokens": opts.label_tokens, "n_prompts": len(multi),
                                    "controls": _kl_ci([r for r in multi if r["arm"] == "control"]),
                                    "harmless": _kl_ci([r for r in multi if r["arm"] == "harmless"]),
                                    "all": _kl_ci(multi), "per_prompt": multi},
                 "n_kl_prompts": len(rows_kl), "n_kl_prompts_all": len(rows_all),
                 "per_prompt": test_edit.per_prompt,
                 "greedy_check": {"max_tokens": opts.check_tokens, "base": _counts(check_base),
                                  "edited": _counts(check_edit), "rows_base": check_base, "rows_edited": check_edit}},
        "objective_method": opts.objective,
        "openings": None if objective is None else {
            "opening_tokens": opts.opening_tokens, "greedy_tokens": objective.greedy_tokens,
            "n_by_language": {lg: len(objective.for_language(lg)) for lg in sorted(objective.openings)},
            "sources": objective.sources,
            "select_base_logodds": base_open.mean if base_open else None,
            "select_base_greedy_blocked": sum(x in BLOCKED for x in base_open.labels) if base_open else None,
            "test": None if open_edit is None or open_base is None else {
                "n": len(test_refused), "logodds_base": open_base.mean, "logodds_edited": open_edit.mean,
                "per_prompt": [{"id": p.id, "language": p.language, "base": round(b, 4), "edited": round(e, 4)}
                               for p, b, e in zip(test_refused, open_base.logodds, open_edit.logodds,
                                                  strict=True)]}},
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "n_threads": llama_threads(), "n_seq": opts.n_seq,
        "direction_languages": opts.direction_languages,
        "directions": {"method": opts.directions, "rank": int(edit.rank), "clusters": cluster_sizes,
                       "cluster_tokens": opts.cluster_tokens if opts.directions == "clusters" else None,
                       "refusal_openings": dict(sorted({k: refused_keys.count(k) for k in refused_keys}.items(),
                                                       key=lambda kv: -kv[1]))},
        # first-token KL between two batchings of the same base model on the search's KL prompts (llama.cpp
        # rounding): the search and the held-out check compare within one batching, so it is not in their KL
        "numeric_noise_kl": {k: round(v, 6) for k, v in noise.items()},
        "numeric_noise_kl_test": round(test_base.kl, 6),
        "edit": opts.edit, "reference": opts.reference,
        # per candidate layer c: [mean, sd, n] of x_L . v_c for every layer L and group of train prompts
        # (arm, base label, language; "reference": the affine edit's answered + harmless prompts)
        "projections": projections,
    }
    report_path = out.with_name(out.name.removesuffix(".gguf") + ".json")
    report_path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=float), "utf-8")
    return ModifyResult(base=base, base_sha256=base_sha, output=out, kind=kind, layer=best.layer, lam=best.lam,
                        window=best.window, report=report, report_path=report_path)
