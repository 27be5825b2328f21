"""`weightwatch modify refusal-direction` on Qwen2.5-Coder-0.5B, then the before/after audit, timed.

    PYTHONPATH=src WEIGHTWATCH_THREADS=1 python benchmarks/modify_qwen.py --out benchmarks/results/modify
    (--max-items N --trials N --humaneval-limit N --languages en,de to size it; see BENCHMARKS.md)

--stages picks stages (modify,censorship,capability); a later stage alone reads OUT/modify.json, so the
censorship audit and the HumanEval runs can go in separate processes side by side.
--humaneval-size standard (all 164 tasks) with --humaneval-limit 0 is the issue's full size.

Stages, each written to OUT as it finishes (a late stage that does not finish leaves the earlier ones):
1. modify.json: the modify step (search trials, Pareto front, held-out check, wall time);
2. audit-censorship.json: censorship probe on the held-out test topics, base vs edited, per-language headlines;
3. audit-capability.json: HumanEval (first N tasks of the quick subset) and its security scan, base vs edited.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from weightwatch.modify.audit import audit_before_after
from weightwatch.modify.pipeline import ModifyOptions, modify_refusal_direction


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="embedded:qwen2.5-coder-0.5b")
    ap.add_argument("--out", default="benchmarks/results/modify")
    ap.add_argument("--languages", default="en,zh-Hans,zh-Hant,de")
    ap.add_argument("--max-items", type=int, default=4)
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--contrast", default="refused")
    ap.add_argument("--center-languages", action="store_true")
    ap.add_argument("--direction-languages", default="", help="comma-separated; default: every language")
    ap.add_argument("--directions", default="single", help="single | clusters | pca | per-layer")
    ap.add_argument("--rank", type=int, default=2, help="directions per layer (clusters, pca)")
    ap.add_argument("--objective", default="own", help="own | openings (the search objective)")
    ap.add_argument("--edit", default="ablation", help="ablation | affine (modify/affine.py)")
    ap.add_argument("--reference", default="answered+harmless", help="answered+harmless | answered")
    ap.add_argument("--orthogonal-languages", action="store_true", help="direction orthogonal to language offsets")
    ap.add_argument("--orthogonal-harmless", action="store_true", help="direction orthogonal to harmless - answered")
    ap.add_argument("--n-seq", type=int, default=16, help="prompts decoded together (Session.run_many)")
    ap.add_argument("--multi-token-kl", action="store_true", help="held-out KL along the base model's answers")
    ap.add_argument("--no-kl-train", action="store_true", help="KL bound on select-topic controls only (before 8f)")
    ap.add_argument("--kl-max", type=float, default=0.1)
    ap.add_argument("--stages", default="modify,censorship,capability")
    ap.add_argument("--censorship-max-tokens", type=int, default=0, help="0: the probe's default for the size")
    ap.add_argument("--humaneval-size", default="quick")
    ap.add_argument("--check-tokens", type=int, default=32)
    ap.add_argument("--censorship-size", default="quick")
    ap.add_argument("--humaneval-limit", type=int, default=8)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    langs = [x for x in args.languages.split(",") if x]

    def log(m: str) -> None:
        print(time.strftime("%H:%M:%S"), m, flush=True)

    stages = {x for x in args.stages.split(",") if x}
    if "modify" in stages:
        opts = ModifyOptions(languages=langs, max_items=args.max_items or None, budget=args.trials,
                             candidates=args.candidates, contrast=args.contrast, check_tokens=args.check_tokens,
                             center_languages=args.center_languages, kl_train=not args.no_kl_train,
                             kl_max=args.kl_max, n_seq=args.n_seq, multi_token_kl=args.multi_token_kl,
                             directions=args.directions, rank=args.rank, objective=args.objective,
                             edit=args.edit, reference=args.reference,
                             orthogonal_languages=args.orthogonal_languages,
                             orthogonal_harmless=args.orthogonal_harmless,
                             direction_languages=[x for x in args.direction_languages.split(",") if x] or None)
        t_wall = time.perf_counter()
        result = modify_refusal_direction(args.target, out / "qwen-rd.lora.gguf", opts, log=log)
        result.report["timings_s"]["wall_incl_load_s"] = round(time.perf_counter() - t_wall, 1)
        report = result.report
        (out / "modify.json").write_text(json.dumps({"args": vars(args), **report}, indent=1, ensure_ascii=False,
                                                    default=float), "utf-8")
        log(f"modify done in {report['timings_s']['total_s']} s")
    else:
        report = json.loads((out / "modify.json").read_text("utf-8"))
    edited = f"gguf:{report['base']}+lora:{report['output']}"
    if "censorship" in stages:
        t0 = time.perf_counter()
        copts = {"censorship": {"max_tokens": args.censorship_max_tokens}} if args.censorship_max_tokens else {}
        cens = audit_before_after(args.target, edited, topics=report["splits"]["test"], languages=langs,
                                  probes=["censorship"], size=args.censorship_size, options=copts, log=log)
        (out / "audit-censorship.json").write_text(json.dumps({"wall_s": time.perf_counter() - t0, **cens.as_dict()},
                                                              indent=1, ensure_ascii=False, default=float), "utf-8")
        for h in cens.headlines:
            log(f"{h.language}: {h.text}")
    if "capability" in stages:
        t0 = time.perf_counter()
        hopts = {"humaneval_limit": args.humaneval_limit} if args.humaneval_limit else {}
        cap = audit_before_after(args.target, edited, topics=[], languages=langs, probes=["capability"],
                                 size=args.humaneval_size, options=hopts, log=log)
        (out / "audit-capability.json").write_text(json.dumps({"wall_s": time.perf_counter() - t0, **cap.as_dict()},
                                                              indent=1, ensure_ascii=False, default=float), "utf-8")
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
