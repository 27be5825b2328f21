"""`weightwatch adoption snapshot|report` and `weightwatch openness`; mounted by `register(app)`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from weightwatch.datafiles import format_name, output_file
from weightwatch.ecosystem.report import rx
from weightwatch.errors import UserError

out = Console()
err = Console(stderr=True)


def _origins() -> Any:
    from weightwatch.ecosystem.origins import configured_origins

    return configured_origins()


CENSUS_PAGE_SIZE = 1000  # the Hub's largest page: ~2,000 pages for ~2M models, ~20 min at --pace 0.6


def weekly_schedule(options: list[str]) -> str:
    """A crontab entry that takes this snapshot every Monday at 06:00 UTC (same options, --fresh so a
    week's snapshot never mixes with last week's), and how to install it and read the time series."""
    import os
    import shlex
    import shutil
    import sys

    from weightwatch.config import home

    exe = shutil.which("weightwatch") or f"{sys.executable} -m weightwatch"
    opts = [a for a in options if a != "--weekly"]
    if "--fresh" not in opts:
        opts.append("--fresh")
    env = f"WEIGHTWATCH_HOME={shlex.quote(str(home()))}"
    if os.environ.get("HF_ENDPOINT"):
        env += f" HF_ENDPOINT={shlex.quote(os.environ['HF_ENDPOINT'])}"
    log = shlex.quote(str(home() / "adoption-weekly.log"))
    line = f"0 6 * * 1 {env} {exe} adoption snapshot {' '.join(shlex.quote(o) for o in opts)} >> {log} 2>&1"
    return "\n".join([
        "# weightwatch: a Hub snapshot every Monday at 06:00 (machine time), for download windows over time",
        line,
        "",
        "# install it (appends to your crontab):",
        f"#   (crontab -l 2>/dev/null; echo {shlex.quote(line)}) | crontab -",
        "# each week's report then shows the downloads since the previous snapshot taken with these options:",
        "#   weightwatch adoption report            (or --window SNAPSHOT_ID for a longer window)",
        "# the Hub keeps no download history: a week the machine is off is a week with no window.",
    ])


def check_authors(author: list[str] | None) -> list[str] | None:
    """Each --author as the Hub writes an organisation or user name, checked before any request: an empty one
    (`--author ""`, a shell variable that was not set) listed the whole Hub, and with --limit 0 walked all of it."""
    import re

    if author is None:
        return None
    names = [a.strip() for a in author]
    for given, name in zip(author, names, strict=True):
        if not name:
            raise UserError("--author is empty", "give an organisation or user name, e.g. --author Qwen, or drop "
                            "--author for the whole Hub")
        if len(name) > 96 or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name):
            raise UserError(f"--author '{given}' is not a Hugging Face organisation or user name",
                            "write the name as in the model ids (ORG in ORG/NAME), e.g. --author Qwen")
    return names


def check_limit(limit: int | None, author: list[str] | None, since: str | None, sort: str) -> None:
    """--limit 0 (no limit) is bounded only by --author or by --since with --sort created_at; on the whole Hub
    it would page through ~2M models, so it must be asked for by name (--census). Checked before any request."""
    if limit is None or limit >= 1:
        return
    hint = ("give a bound (e.g. --limit 5000), add --author ORG, or use --census to walk the whole Hub on purpose "
            "(~2,000 pages, resumable)")
    if limit < 0:
        raise UserError(f"--limit must be at least 1, or 0 for no limit, not {limit}", hint)
    if not author and not (since and sort == "created_at"):
        raise UserError("--limit 0 (no limit) would list every model on the Hub (~2M models)", hint)


def snapshot(
    limit: Annotated[int | None, typer.Option("--limit", help="Models to keep per listing (the whole Hub, or "
                     "each --author), most downloaded first; 0 = no limit, only with --author (or --since with "
                     "--sort created_at); the whole Hub (~2M models) is --census (default: 1000).")] = None,
    author: Annotated[list[str] | None, typer.Option("--author", help="Only this organisation; repeat for "
                      "several.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Keep models created on or after YYYY-MM-DD.")] = None,
    sort: Annotated[str | None, typer.Option("--sort", help="downloads | likes | created_at | trending (default: "
                    "downloads).")] = None,
    page_size: Annotated[int | None, typer.Option("--page-size", help="Models per Hub page (at most 1000; "
                         "default: 100).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new snapshot even if an interrupted one with "
                     "the same options exists.")] = False,
    pace: Annotated[float, typer.Option("--pace", help="Least seconds between two page requests (0.6 stays "
                    "under the Hub's anonymous quota of ~500 calls per 5 minutes).")] = 0.6,
    retries: Annotated[int, typer.Option("--retries", help="Retries of a page after a 429 / 5xx (each waits "
                       "for the Hub's Retry-After) before the snapshot stops, resumable.")] = 5,
    census: Annotated[bool, typer.Option("--census", help="Walk the Hub's whole model list (no limit, 1,000 "
                      "per page, by downloads); re-run the same command to resume after any stop.")] = False,
    cards: Annotated[bool, typer.Option("--cards", help="Also read the README of the most downloaded models "
                     "(see --cards-top), so openness knows whether training code is linked.")] = False,
    cards_top: Annotated[int | None, typer.Option("--cards-top", help="How many models' READMEs --cards reads "
                         "(most downloaded first; one request each; default: 100).")] = None,
    weekly: Annotated[bool, typer.Option("--weekly", help="Print a crontab entry that takes this snapshot "
                      "weekly (a time series of download windows), and take no snapshot now.")] = False,
) -> None:
    """Read model metadata from the Hugging Face Hub into the journal (needs access to the Hub; resumable)."""
    from weightwatch.ecosystem.hub import fetch_cards, take_snapshot
    from weightwatch.ecosystem.store import SnapshotStore

    if census:  # the census fixes these itself: a value given with it would be silently ignored
        given = [name for name, value in (("--limit", limit), ("--author", author), ("--since", since),
                                          ("--sort", sort), ("--page-size", page_size)) if value not in (None, [])]
        if given:
            raise UserError(f"--census walks the whole model list, by downloads, 1,000 per page; it takes no "
                            f"{' / '.join(given)}", f"drop {' / '.join(given)}, or drop --census")
        limit, sort_by, per_page = None, "downloads", CENSUS_PAGE_SIZE
    else:
        limit, sort_by = (1000 if limit is None else limit), sort or "downloads"
        per_page = 100 if page_size is None else page_size
        author = check_authors(author)
        check_limit(limit, author, since, sort_by)
    if not 0 <= pace < float("inf"):  # NaN too
        raise UserError(f"--pace must be 0 or more seconds, not {pace:g}", "e.g. --pace 0.6 (the default)")
    if retries < 0:
        raise UserError(f"--retries must be 0 or more, not {retries}", "e.g. --retries 5 (the default)")
    if cards_top is not None and not cards:  # it would be silently ignored
        raise UserError("--cards-top goes with --cards", f"add --cards to read the READMEs of the {cards_top} most "
                        "downloaded models, or drop --cards-top")
    cards_top = 100 if cards_top is None else cards_top
    if cards and cards_top < 1:
        raise UserError(f"--cards-top must be at least 1, not {cards_top}", "e.g. --cards-top 100 (the default)")
    if weekly:
        args = (["--census"] if census else
                [f"--limit={limit or 0}", *(f"--author={a}" for a in author or []),
                 *([f"--since={since}"] if since else []), f"--sort={sort_by}", f"--page-size={per_page}"])
        args += [f"--pace={pace:g}", f"--retries={retries}"]
        args += ["--cards", f"--cards-top={cards_top}"] if cards else []
        out.print(weekly_schedule(args), markup=False, highlight=False, soft_wrap=True)
        return

    def say(msg: str) -> None:
        err.print(msg, markup=False, highlight=False)

    from weightwatch.engine.interrupt import sigterm_interrupts

    with SnapshotStore() as store:
        try:
            with sigterm_interrupts():  # `kill` stops it as Ctrl-C does: marked interrupted, resumable
                res = take_snapshot(store, limit=limit or None, authors=author, since=since, sort=sort_by,
                                    page_size=per_page, fresh=fresh, pace=pace, max_retries=retries, progress=say)
        except KeyboardInterrupt as exc:  # typer would exit 130 silently: say what was kept and how to resume
            from weightwatch.cli import _say_interrupted

            raise typer.Exit(_say_interrupted(exc)) from None
        err.print(f"snapshot {res.snapshot_id} {res.status}: {res.models_total} models "
                  f"({res.pages_fetched} page(s) fetched now{', resumed' if res.resumed else ''}) in {store.path}",
                  markup=False, highlight=False)
        if cards:
            fetch_cards(store, res.snapshot_id, top=cards_top, pace=pace, max_retries=retries, progress=say)


def report(
    snapshot_ref: Annotated[str, typer.Argument(metavar="SNAPSHOT", help="Snapshot id, or 'latest'.")] = "latest",
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table | json")] = "table",
    html: Annotated[Path | None, typer.Option("--html", help="Also write the adoption section as HTML here.")] = None,
    top: Annotated[int, typer.Option("--top", help="Rows in the organisation and openness tables.")] = 10,
    list_: Annotated[bool, typer.Option("--list", help="List the snapshots instead.")] = False,
    window: Annotated[str, typer.Option("--window", help="Earlier snapshot for windowed downloads (difference "
                      "of all-time counts): an id, 'previous' (the last one with the same options) or 'none'.")]
    = "previous",
) -> None:
    """Download shares by origin (three crediting views), windows, coverage, concentration, openness. Offline."""
    from weightwatch.ecosystem.report import adoption_html_section, build_report, print_report, report_json
    from weightwatch.ecosystem.store import SnapshotStore
    from weightwatch.report.readable import human_time

    fmt = format_name(fmt, ("table", "json"), "--format")
    if top < 1:
        raise UserError(f"--top must be at least 1, not {top}", "e.g. --top 10 (the default)")
    if window not in ("previous", "none") and not window.strip().isdigit():
        raise UserError(f"--window '{window}' is not a snapshot", "give a snapshot id (a number; see --list), "
                        "'previous' or 'none'")
    if html is not None:
        html = output_file(html, "--html")
    with SnapshotStore() as store:
        if list_:
            t = Table("snapshot", "taken", "status", "models", "pages", "authors", "limit", title=str(store.path))
            for s in store.snapshots():
                t.add_row(str(s.id), human_time(s.started_at), s.status, str(s.models), str(s.pages),
                          rx(",".join(s.params.get("authors", []))) or "all", str(s.params.get("limit")))
            out.print(t)
            return
        rep = build_report(store, snapshot_ref, origins=_origins(), top=max(top, 20), window_from=window)
    if fmt == "json":
        print(report_json(rep))
    else:
        print_report(rep, out, top=top)
    if html is not None:
        html.write_text("<!doctype html><meta charset=utf-8><title>weightwatch adoption</title>\n"
                        + adoption_html_section(rep, top=top), encoding="utf-8")
        err.print(f"HTML: {html}", markup=False, highlight=False)


def openness(
    model_ids: Annotated[list[str], typer.Argument(metavar="MODEL_ID...", help="Hub model ids, e.g. Qwen/Qwen2.5-7B")],
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table | json")] = "table",
    offline: Annotated[bool, typer.Option("--offline", help="Use only snapshots; never ask the Hub.")] = False,
    card: Annotated[bool, typer.Option("--card", help="For models found in a snapshot, also fetch the README from "
                    "the Hub (network) to look for a training-code link.")] = False,
) -> None:
    """Licence class, training data named, training code linked, and the openness level, per model.

    Uses the latest snapshot that holds the model; otherwise asks the Hub (network) for it.
    """
    import json
    import re

    from weightwatch.ecosystem.hub import LOOKUP, HubClient, HubUnreachable, fetch_model, unreachable
    from weightwatch.ecosystem.openness import assess, yes_no
    from weightwatch.ecosystem.store import SnapshotStore

    fmt = format_name(fmt, ("table", "json"), "--format")
    for mid in model_ids:  # the Hub's own rule for ids, checked before any request
        if len(mid) > 96 or not re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?", mid):
            raise UserError(f"'{mid}' is not a Hugging Face model id", "write it as ORG/NAME, e.g. Qwen/Qwen2.5-7B")
    results = []
    with SnapshotStore() as store:
        for mid in model_ids:
            m = store.find_model(mid)
            source = "snapshot"
            if m is not None and card and not offline:
                client = HubClient()
                try:
                    m.card_text = client.card_text(m.model_id)
                except HubUnreachable as exc:
                    raise unreachable(client.endpoint, str(exc), need=LOOKUP) from exc
                source = "snapshot + README"
            if m is None:
                if offline:
                    raise UserError(f"'{mid}' is in no finished snapshot", "drop --offline to ask the Hub for it")
                m = fetch_model(mid)
                source = "hub"
            o = assess(m)
            results.append((o, source))
    if fmt == "json":
        print(json.dumps([{**o.model_dump(mode="json"), "source": src} for o, src in results], indent=2))
        return
    t = Table("model", "licence", "class", "data named", "code linked", "level", "from")
    for o, src in results:
        t.add_row(rx(o.model_id), rx(o.license), o.licence_class, yes_no(o.data_disclosed), yes_no(o.code_linked),
                  o.level, src)
    out.print(t)
    for o, _ in results:
        out.print(f"[bold]{rx(o.model_id)}[/]: " + rx("; ".join(o.reasons)), highlight=False)


def register(app: typer.Typer) -> None:
    """Add `adoption snapshot`, `adoption report` and `openness` to the weightwatch CLI."""
    adoption = typer.Typer(help="Who leads open-model adoption on the Hugging Face Hub (snapshots + report).",
                           no_args_is_help=True)
    adoption.command("snapshot")(snapshot)
    adoption.command("report")(report)
    app.add_typer(adoption, name="adoption")
    app.command("openness")(openness)
