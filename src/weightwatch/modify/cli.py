"""`weightwatch modify refusal-direction` (added to the main CLI by register)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from weightwatch.datafiles import comma_list, format_name, output_file
from weightwatch.errors import UserError


def register(app: typer.Typer) -> None:
    modify_app = typer.Typer(help="Adapt a local model and measure what the adaptation changes.",
                             no_args_is_help=True)
    app.add_typer(modify_app, name="modify")

    @modify_app.command("refusal-direction")
    def refusal_direction(
        target: Annotated[str, typer.Option("--target", "-t", help="gguf:PATH or embedded:NAME")],
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the adapter (or "
                          "merged model); a JSON report is written beside it.")] = None,
        merge: Annotated[str | None, typer.Option("--merge", help="Write a merged model instead of a LoRA adapter: "
                         "F16 or Q8_0 for the edited tensors.")] = None,
        audit: Annotated[bool, typer.Option("--audit", help="Audit the base and the edited model on the held-out "
                         "topics and print the before/after report.")] = False,
        languages: Annotated[str | None, typer.Option("--languages", help="Comma-separated, e.g. en,zh-Hans "
                             "(default: every language of the censorship dataset).")] = None,
        max_items: Annotated[int | None, typer.Option("--max-items", help="At most this many sensitive items per "
                             "split (default: all).")] = None,
        trials: Annotated[int, typer.Option("--trials", help="Search trials (layer, lambda, window).")] = 16,
        kl_max: Annotated[float, typer.Option("--kl-max", help="Bound on the first-token KL on control prompts: "
                          "on the 95% upper bound over the tune half and on the validate half.")] = 0.1,
        goal: Annotated[float, typer.Option("--goal", help="Refusal goal: the gentlest feasible edit removing this "
                        "share of the base model's greedy refusals of the select prompts is chosen.")] = 0.7,
        orthogonal: Annotated[bool, typer.Option("--orthogonal", help="Make the direction orthogonal to the "
                              "harmless prompts' mean activation.")] = False,
        contrast: Annotated[str, typer.Option("--contrast", help="refused: prompts the base model refuses vs those "
                            "it answers (+ harmless); control | harmless | both: sensitive prompts vs their matched "
                            "controls, the harmless set, or both.")] = "refused",
        center_languages: Annotated[bool, typer.Option("--center-languages", help="Subtract each language's mean "
                                    "activation before the difference of means.")] = False,
        direction_languages: Annotated[str | None, typer.Option("--direction-languages", help="Make the direction "
                                       "from these languages' train prompts only, comma-separated, e.g. en "
                                       "(default: every language).")] = None,
        directions: Annotated[str, typer.Option("--directions", help="single: one direction (rank 1); clusters: "
                              "the pooled direction + one per cluster of the base model's refusal openings, "
                              "orthogonalised (rank --rank); pca: the top --rank principal directions of the "
                              "refused prompts' differences; per-layer: each edited layer its own direction."
                              )] = "single",
        rank: Annotated[int | None, typer.Option("--rank", help="Directions per layer for --directions clusters|pca "
                        "(default: 2).")] = None,
        objective: Annotated[str, typer.Option("--objective", help="What the search minimises on the select prompts "
                             "the base model refuses. own: the probability of the base model's own refusal "
                             "opening; openings: the probability of any refusal or deflection opening (the "
                             "judge's forms and the openings of every refused train/select answer, base and "
                             "edited), with a greedy refusal check of every trial.")] = "own",
        edit: Annotated[str, typer.Option("--edit", help="ablation: the residual writes lose their component along "
                        "the direction(s); affine: they keep its mean over the prompts the base model answers and "
                        "lose only the deviation from it (a LoRA adapter with per-layer constants; no --merge).")
                        ] = "ablation",
        orthogonal_languages: Annotated[bool, typer.Option("--orthogonal-languages", help="Make the direction "
                                        "orthogonal to each language's mean activation offset, so every language's "
                                        "prompts share one mean projection.")] = False,
        orthogonal_harmless: Annotated[bool, typer.Option("--orthogonal-harmless", help="Make the direction "
                                       "orthogonal to the harmless prompts' mean minus the answered prompts' mean, "
                                       "so both share one mean projection.")] = False,
        reference: Annotated[str, typer.Option("--reference", help="The answered side of the refused contrast and "
                             "the affine edit's reference mean: answered+harmless (the train prompts the base "
                             "model answers and the harmless set) or answered (without the harmless set).")
                             ] = "answered+harmless",
        kl_on: Annotated[str, typer.Option("--kl-on", help="KL bound over harmless prompts + the controls the base "
                         "model answers (answered) or every control (all).")] = "answered",
        kl_train: Annotated[bool, typer.Option("--kl-train/--no-kl-train", show_default=False, help="Also bound the KL "
                            "on the train topics' controls (more items in the constraint; never test topics; default: "
                            "on).")] = True,
        multi_token_kl: Annotated[bool, typer.Option("--multi-token-kl", help="Also report the held-out KL along "
                                  "the base model's own 16-token answers (a diagnostic beyond the first "
                                  "token; slower).")] = False,
        check_tokens: Annotated[int, typer.Option("--check-tokens", help="Greedy tokens per held-out sensitive "
                                "prompt for the refusal check (0: skip).")] = 48,
        audit_size: Annotated[str, typer.Option("--audit-size", help="quick | standard | full")] = "quick",
        audit_probes: Annotated[str, typer.Option("--audit-probes", help="Probes of the audit, comma-separated.")
                                ] = "censorship,capability,codesec,speed",
        option: Annotated[list[str] | None, typer.Option(
            "--option", "-O", metavar="PROBE.KEY=VALUE", help="With --audit: a probe option of the audit, e.g. "
            "-O codesec.tasks=3 (as in weightwatch run; censorship's topics and languages are the held-out "
            "split's). Repeat for several.")] = None,
        options_file: Annotated[Path | None, typer.Option(
            "--options", metavar="FILE.toml", help="With --audit: probe options of the audit from a TOML file, one "
            "table per probe.")] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table | json")] = "table",
    ) -> None:
        """Remove the refusal direction (Arditi et al.) from a GGUF model: a rank-1 LoRA adapter by default."""
        from weightwatch.modify.pipeline import ModifyOptions, modify_refusal_direction

        fmt = format_name(fmt, ("table", "json"), "format")
        if not 0 < goal <= 1:
            raise UserError("--goal must be in (0, 1]", "e.g. --goal 0.7")
        if trials < 1:
            raise UserError("--trials must be at least 1", "e.g. --trials 16")
        if max_items is not None and max_items < 1:
            raise UserError("--max-items must be at least 1", "omit it to use every item")
        if check_tokens < 0:
            raise UserError("--check-tokens must be 0 or more", "0 skips the refusal check")
        if not kl_max > 0:  # NaN too
            raise UserError(f"--kl-max must be above 0, not {kl_max:g}", "e.g. --kl-max 0.1")
        if rank is not None and directions not in ("clusters", "pca"):  # it was silently ignored
            raise UserError(f"--rank goes with --directions clusters or pca, not '{directions}'",
                            "add --directions clusters (or pca), or drop --rank: --directions single is rank 1")
        if audit_size not in ("quick", "standard", "full"):
            raise UserError(f"unknown --audit-size '{audit_size}'", "use quick, standard or full")
        probe_options: dict[str, Any] = {}
        if (option or options_file is not None) and not audit:  # they would be silently ignored
            raise UserError("-O / --options go with --audit (they set the options of its probes)",
                            "add --audit, or drop them")
        if audit:  # checked now, not after the search
            from weightwatch.probes import registry
            from weightwatch.probes.cli_options import cli_options
            from weightwatch.probes.options import resolve_options

            audited = [registry.get(p.strip()) for p in audit_probes.split(",") if p.strip()]
            probe_options = cli_options(option or [], audited, options_file)
            held_out = sorted({"topics", "languages"} & set(probe_options.get("censorship") or {}))
            if held_out:
                raise UserError(f"the censorship option(s) {', '.join(held_out)} of the audit are set by modify "
                                "(the held-out test topics, the --languages of the edit)",
                                "drop them; --languages chooses the languages")
            resolve_options(audited, probe_options)  # a bad value stops here, before the search
        if output is not None:  # checked before the search, not when the adapter is written
            output = output_file(output, "--output")
        err = Console(stderr=True)
        langs = comma_list(languages, "--languages", "en,zh-Hans")
        opts = ModifyOptions(languages=langs, max_items=max_items, budget=trials, kl_max=kl_max,
                             orthogonal=orthogonal, contrast=contrast, kl_on=kl_on,
                             center_languages=center_languages, kl_train=kl_train,
                             merge=merge.upper() if merge else None,
                             check_tokens=check_tokens, goal=goal, multi_token_kl=multi_token_kl,
                             directions=directions, rank=2 if rank is None else rank, objective=objective,
                             edit=edit, reference=reference,
                             orthogonal_languages=orthogonal_languages, orthogonal_harmless=orthogonal_harmless,
                             direction_languages=comma_list(direction_languages, "--direction-languages", "en"))

        def log(message: str) -> None:
            err.print(message, markup=False, highlight=False, soft_wrap=True)

        result = modify_refusal_direction(target, output, opts, log=log)
        from weightwatch.engine.interrupt import keep_note

        what = "adapter" if result.kind == "lora" else f"merged model ({result.kind.removeprefix('merged-')})"
        keep_note(f"the {what} is written: {result.output} (use it as -t {result.target})"
                  + ("; the audit's finished samples are in the journal (weightwatch runs)" if audit else ""))
        report = result.report
        audit_out = None
        if audit:
            from weightwatch.modify.audit import audit_before_after

            probes = [p.strip() for p in audit_probes.split(",") if p.strip()]
            audit_out = audit_before_after(target, result.target, topics=report["splits"]["test"],
                                           languages=report["languages"], probes=probes, size=audit_size,
                                           options=probe_options, log=log)
            report["audit"] = audit_out.as_dict()
            assert result.report_path is not None
            result.report_path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=float), "utf-8")
        if fmt == "json":
            Console().print_json(json.dumps(report, ensure_ascii=False, default=float))
        else:
            print_modify(report, Console())
            if audit_out is not None:
                from weightwatch.report.compare import print_compare

                print_compare(audit_out.compare, Console())
        log(f"written: {result.output} ({result.kind}); report: {result.report_path}")
        log(f"use it as: -t {result.target}")


def _ci(ci: list[float] | None) -> str:
    return f"[95% CI {ci[1]:.4f}-{ci[2]:.4f}] " if ci else ""


def print_modify(report: dict, console: Console) -> None:
    trials = Table(title=f"search trials (select topics): {report.get('objective', 'refusal')} vs first-token KL")
    for col in ("layer", "window", "lambda", "refusal", "first-token log-odds", "KL tune (95% upper)",
                "KL validate", "goal check", "Pareto", "chosen"):
        trials.add_column(col)
    chosen = report["chosen"]
    for t in report["trials"]:
        odds = t.get("logodds")
        goal = "" if not t.get("goal_checked") else f"{t['goal_refused']}/{t['goal_n']} refused"
        trials.add_row(str(t["layer"]), t["window"], f"{t['lam']:g}", f"{t['refusal']:.3f}",
                       "" if odds is None else f"{odds:.3f}",
                       f"{t.get('kl_tune', t['kl']):.4f} ({t.get('kl_upper', t['kl']):.4f})",
                       f"{t.get('kl_validate', float('nan')):.4f}", goal,
                       "*" if t["pareto"] else "", "<-" if t == chosen else "")
    console.print(trials)
    test = report["test"]
    gc = test["greedy_check"]
    console.print(Text(f"held-out topics {', '.join(report['splits']['test'])}: refusal log-odds "
                       f"{test['refusal_logodds_base']:.3f} -> {test['refusal_logodds_edited']:.3f}, "
                       f"first-token KL {test['kl_controls']:.4f} "
                       f"{_ci(test.get('kl_controls_ci95'))}(harmless + "
                       f"{'every control' if report.get('kl_on') == 'all' else 'answered controls'}), "
                       f"{test.get('kl_controls_all', float('nan')):.4f} (harmless + every control)"))
    by = test.get("kl_by_arm")
    if by:
        langs = ", ".join(f"{lg} {d['kl'][0]:.4f} (n {d['n']})" for lg, d in by["controls_by_language"].items())
        console.print(Text(f"held-out first-token KL by stratum: answered controls {by['controls'][0]:.4f} "
                           f"{_ci(by['controls'])}(n {by['n_controls']}; {langs}), every control "
                           f"{by['controls_all'][0]:.4f} {_ci(by['controls_all'])}(n {by['n_controls_all']}), "
                           f"harmless {by['harmless'][0]:.4f} {_ci(by['harmless'])}"))
    if gc["base"]:
        rows = Table(title=f"held-out sensitive prompts, greedy {gc['max_tokens']} tokens, rule judge")
        for col in ("language", "n", "refused before", "refused after", "deflected before", "deflected after"):
            rows.add_column(col)
        for lang, b in gc["base"].items():
            e = gc["edited"].get(lang, {})
            rows.add_row(lang, str(b["n"]), str(b["refused"]), str(e.get("refused", "")), str(b["deflected"]),
                         str(e.get("deflected", "")))
        console.print(rows)
    for h in (report.get("audit") or {}).get("headlines", []):
        console.print(Text(f"{h['language']}: {h['text']}"))
    console.print(Text(f"wall time {report['timings_s'].get('total_s')} s ({report['n_threads']} llama.cpp thread(s))"))
