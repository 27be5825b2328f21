"""Harness overhead: weightwatch vs inspect_ai on the same local fake OpenAI-compatible server.

    /work/venv/bin/python benchmarks/harness_overhead.py                 # levels 1, 8, 32; 2 repeats each
    /work/venv/bin/python benchmarks/harness_overhead.py --levels 32 --repeats 3 --n 2000

One fake server (tests/servers/fake_openai.py) runs as a subprocess on 127.0.0.1 with a fixed
latency (50 ms by default), so a harness can do at most concurrency / latency requests per second
(20, 160, 640 req/s at 1, 8, 32). At each level the same single-turn chat requests (distinct prompts,
temperature 0, max_tokens 16) are sent by

- weightwatch: `weightwatch.api.run([probe], ["openai:fake-model@URL"], max_concurrency=C, fresh=True)`,
  the path a user runs: target start (GET /v1/models), planning, the runner with its adaptive limiter
  and tenacity retries, the SQLite journal (every completion committed as it lands), scoring (one
  trivial score per sample, journaled) and the run summary. The probe is a tiny one defined below and
  registered with `weightwatch.probes.registry.register` at run time (the documented plug-in point);
- inspect_ai: `inspect_ai.eval(Task(dataset of N samples, solver=generate(), no scorer),
  model="openai/fake-model", model_base_url=URL, max_connections=C)`, with its .eval log written
  (its equivalent of the journal), installed by this script into benchmarks/.venv-inspect.

Each run is a fresh subprocess; the two tools alternate within a level (A B, then B A, ...) so drift in
machine load hits both. Requests/s = requests / wall time of the call (api.run / eval), measured inside
the subprocess after imports. Before every run the server's /_reset is called, after it /_stats gives
the requests received and the peak number in flight (to prove both ran at the requested concurrency).
Results go to benchmarks/results/harness_overhead.md.

`--profile-ww C` instead runs weightwatch once at concurrency C under cProfile and prints the top
functions by own time and cumulative time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVER = ROOT / "tests" / "servers" / "fake_openai.py"
INSPECT_VENV = HERE / ".venv-inspect"
MODEL = "fake-model"
MAX_TOKENS = 16
PROBE_NAME = "harness_overhead"


def prompt(i: int, n: int) -> str:
    return f"Harness overhead benchmark, request {i} of {n}: reply with a short sentence."


def cpu_s() -> float:
    """User + system CPU seconds of this process so far."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of another process (from /proc)."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- weightwatch side ------------------------------------------------------------------------------
class OverheadProbe:
    """N planned single-turn requests; one trivial score per sample. Imports are lazy: this module is
    also run by the inspect_ai virtual environment, which has no weightwatch."""

    name = PROBE_NAME
    version = "1"
    description = "Benchmark only: N single-turn chat requests."

    def plan(self, target: Any, ctx: Any) -> Any:
        from weightwatch.types import ChatRequest, Message, PlannedRequest

        n = int(ctx.options.get("n", 2000))
        for i in range(n):
            yield PlannedRequest(item_id=f"r{i:05d}", request=ChatRequest(
                messages=[Message(role="user", content=prompt(i, n))], temperature=0.0, max_tokens=MAX_TOKENS))

    async def score(self, samples: list[Any], ctx: Any) -> list[Any]:
        from weightwatch.types import Score

        return [Score(sample_digest=s.key.digest(), scorer="overhead.ok", scorer_version=self.version,
                      label="error" if s.completion.error else "ok",
                      value=0.0 if s.completion.error else 1.0) for s in samples]

    def summarize(self, scored: dict[str, list[Any]], ctx: Any) -> Any:
        from weightwatch.types import Metric, ProbeResult

        res = ProbeResult(probe=self.name, version=self.version)
        for label, rows in scored.items():
            ok = sum(1 for r in rows if not r.sample.completion.error)
            res.metrics.append(Metric(probe=self.name, name="answered", value=ok, n=len(rows), target=label))
        return res

    def drilldown(self, item: Any) -> dict[str, Any]:
        return {}


def ww_worker(base_url: str, n: int, concurrency: int, profile: bool = False, preimport: bool = False,
              ) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="ww-bench-overhead-"))
    os.environ["WEIGHTWATCH_HOME"] = str(home)
    os.environ.pop("OPENAI_API_KEY", None)
    os.chdir(home)  # no ./weightwatch.toml
    sys.path.insert(0, str(HERE))
    from weightwatch import __version__, api
    from weightwatch.probes import registry
    from weightwatch.probes.base import ProbeOptions

    class OverheadOptions(ProbeOptions):
        n: int = 2000

    # the protocol's declarations, set here: this module must also import where weightwatch is not installed
    OverheadProbe.Options = OverheadOptions  # type: ignore[attr-defined]
    OverheadProbe.headlines = ()  # type: ignore[attr-defined]
    OverheadProbe.uses_judge = False  # type: ignore[attr-defined]
    OverheadProbe.runs_model_code = False  # type: ignore[attr-defined]
    registry.register(OverheadProbe)
    journal = home / "journal.sqlite"
    kwargs = dict(options={"n": n}, max_concurrency=concurrency, fresh=True, journal_file=journal,
                  config={}, command="benchmarks/harness_overhead.py")
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    if preimport:  # diagnosis only: take the modules a run imports lazily out of the timed call
        import weightwatch.cost  # noqa: F401  (imports weightwatch.stats.proportions -> scipy.stats)
        import weightwatch.targets.openai_http  # noqa: F401
    scipy_before = "scipy.stats" in sys.modules
    cpu0 = cpu_s()
    e0 = time.time()
    t0 = time.perf_counter()
    outcome = api.run([PROBE_NAME], [f"openai:{MODEL}@{base_url}"], **kwargs)
    wall = time.perf_counter() - t0
    e1 = time.time()
    cpu = cpu_s() - cpu0
    if prof is not None:
        prof.disable()
    st = outcome.stats[0]
    import sqlite3

    con = sqlite3.connect(str(journal))
    rows = con.execute("SELECT completion_json, error FROM samples WHERE probe = ?", (PROBE_NAME,)).fetchall()
    scores = con.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    con.close()
    starts, ends, http_s, call_s = [], [], [], []
    for cj, _err in rows:
        comp = json.loads(cj)
        raw = comp.get("raw") or {}
        if "started_at" in raw:
            starts.append(raw["started_at"])
            ends.append(raw["finished_at"])
            call_s.append(raw["finished_at"] - raw["started_at"])
        if comp.get("total_s") is not None:
            http_s.append(comp["total_s"])
    out = {"tool": "weightwatch", "version": __version__, "wall_s": wall, "n": n, "journaled": len(rows),
           "journal_errors": sum(1 for _, e in rows if e), "scores": scores, "done": st.done, "errors": st.errors,
           "retries": st.retries, "limiter_peak": st.peak_concurrency,
           "phase_s": (max(ends) - min(starts)) if starts else None, "cpu_s": cpu,
           "pre_s": (min(starts) - e0) if starts else None, "post_s": (e1 - max(ends)) if ends else None,
           "scipy_imported_before": scipy_before,
           # per request: HTTP round trip seen by the target, and the runner's whole call (limiter + retries)
           "http_ms_median": 1000 * statistics.median(http_s) if http_s else None,
           "http_ms_mean": 1000 * statistics.fmean(http_s) if http_s else None,
           "call_ms_mean": 1000 * statistics.fmean(call_s) if call_s else None}
    if prof is not None:
        import io
        import pstats

        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(35)
            out[f"profile_{key}"] = buf.getvalue()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats("weightwatch/", 45)
        out["profile_weightwatch"] = buf.getvalue()
    return out


# -- inspect_ai side -------------------------------------------------------------------------------
def inspect_worker(base_url: str, n: int, concurrency: int) -> dict[str, Any]:
    import inspect_ai
    from inspect_ai import Task, eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.solver import generate

    logdir = tempfile.mkdtemp(prefix="inspect-bench-overhead-")
    os.environ.setdefault("OPENAI_API_KEY", "not-needed")
    task = Task(dataset=MemoryDataset([Sample(input=prompt(i, n), id=i) for i in range(n)]), solver=generate(),
                name="harness_overhead")
    cpu0 = cpu_s()
    t0 = time.perf_counter()
    logs = eval(task, model=f"openai/{MODEL}", model_base_url=base_url,
                model_args={"responses_api": False, "streaming": False}, max_connections=concurrency,
                max_tokens=MAX_TOKENS, temperature=0.0, display="none", log_dir=logdir, log_level="warning")
    wall = time.perf_counter() - t0
    cpu = cpu_s() - cpu0
    log = logs[0]
    samples = log.samples or []
    errors = sum(1 for s in samples if s.error)
    import openai

    return {"tool": "inspect_ai", "version": inspect_ai.__version__, "openai": openai.__version__,
            "wall_s": wall, "cpu_s": cpu, "n": n, "status": log.status, "samples": len(samples), "errors": errors,
            "log_bytes": sum(p.stat().st_size for p in Path(logdir).rglob("*") if p.is_file())}


# -- driver ----------------------------------------------------------------------------------------
def ensure_inspect_venv() -> Path:
    py = INSPECT_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(INSPECT_VENV)], check=True)
        (INSPECT_VENV / ".gitignore").write_text("*\n", encoding="utf-8")
    ok = subprocess.run([str(py), "-c", "import inspect_ai, openai"], capture_output=True).returncode == 0
    if not ok:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "inspect_ai", "openai"], check=True)
    return py


def http(url: str, method: str = "GET") -> dict[str, Any]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.load(resp))


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"fake server did not start: {line!r}")
    return proc, line.split()[1]


def run_one(tool: str, python: str, base_url: str, n: int, c: int, server_pid: int,
            extra: list[str] | None = None) -> dict[str, Any]:
    root = base_url.removesuffix("/v1")
    http(root + "/_reset", "POST")
    load_before = os.getloadavg()[0]
    srv_cpu0 = proc_cpu_s(server_pid)
    cmd = [python, str(Path(__file__).resolve()), "--worker", tool, "--base-url", base_url, "--n", str(n),
           "--concurrency", str(c), *(extra or [])]
    env = dict(os.environ)
    if tool == "weightwatch":
        env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    process_s = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{tool} worker failed ({p.returncode}):\n{p.stderr[-3000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["server_cpu_s"] = proc_cpu_s(server_pid) - srv_cpu0
    stats = http(root + "/_stats")
    res.update(level=c, server_requests=stats["requests"], server_completed=sum(stats["completed"].values()),
               server_peak=stats["peak_in_flight"], stream=bool((stats.get("last_body") or {}).get("stream")),
               process_s=process_s, load1_before=load_before, rps=n / res["wall_s"])
    return res


def fmt_table(results: list[dict[str, Any]], latency: float) -> list[str]:
    lines = ["| concurrency | limit req/s | requests per run | weightwatch req/s (median; runs) | % of limit | "
             "inspect_ai req/s (median; runs) | % of limit | weightwatch / inspect_ai | server peak in flight "
             "(ww / inspect) |", "|---|---|---|---|---|---|---|---|---|"]
    for c in sorted({r["level"] for r in results}):
        limit = c / latency
        ww = [r for r in results if r["level"] == c and r["tool"] == "weightwatch"]
        ins = [r for r in results if r["level"] == c and r["tool"] == "inspect_ai"]
        mw = statistics.median(r["rps"] for r in ww) if ww else float("nan")
        ww_runs = ", ".join(f"{r['rps']:.1f}" for r in ww)
        ins_runs = ", ".join(f"{r['rps']:.1f}" for r in ins)
        mi = statistics.median(r["rps"] for r in ins) if ins else float("nan")
        lines.append(
            f"| {c} | {limit:.0f} | {ww[0]['n'] if ww else ins[0]['n']} | {mw:.1f} ({ww_runs}) | "
            f"{100 * mw / limit:.1f}% | {mi:.1f} ({ins_runs}) | "
            f"{100 * mi / limit:.1f}% | {mw / mi:.2f}x | "
            f"{'/'.join(str(r['server_peak']) for r in ww)} ; {'/'.join(str(r['server_peak']) for r in ins)} |")
    return lines


def machine() -> str:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.machine()}, {model or '?'}, {os.cpu_count()} cores, Linux {platform.release()}"


def diag_preimport(args: argparse.Namespace, base_url: str, server_pid: int) -> int:
    c = args.diag_preimport
    rows: list[tuple[str, dict[str, Any]]] = []
    for rep in range(args.repeats):
        order = [("as is", []), ("pre-imported", ["--preimport"])]
        if rep % 2:
            order.reverse()
        for name, extra in order:
            r = run_one("weightwatch", sys.executable, base_url, args.n, c, server_pid, extra)
            rows.append((name, r))
            print(f"{name}: {r['rps']:.1f} req/s, wall {r['wall_s']:.2f} s (before {r['pre_s']:.2f}, phase "
                  f"{r['phase_s']:.2f}, after {r['post_s']:.2f}), client CPU {r['cpu_s']:.2f} s, HTTP median "
                  f"{r['http_ms_median']:.1f} ms, server peak {r['server_peak']}, load1 {r['load1_before']:.2f}",
                  flush=True)
    limit = c / args.latency
    cmd = "/work/venv/bin/python " + " ".join(shlex.quote(a) for a in sys.argv)
    lines = ["# Harness overhead, diagnosis: the lazy imports inside a run", "",
             f"- Command: `{cmd}`", f"- Date (UTC): {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')}; "
             f"machine: {machine()} (shared with other jobs)",
             f"- weightwatch at concurrency {c}, {args.n} requests, {args.latency * 1000:.0f} ms server latency "
             f"(limit {limit:.0f} req/s). 'pre-imported' imports weightwatch.cost (-> weightwatch.stats.proportions"
             " -> scipy.stats) and weightwatch.targets.openai_http (-> aiohttp) before the timer; nothing else "
             "differs. Runs alternate.", "",
             "| variant | req/s | % of limit | wall s | before first request s | request phase s | after last answer s "
             "| client CPU s | HTTP median ms | load1 before |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        lines.append(f"| {name} | {r['rps']:.1f} | {100 * r['rps'] / limit:.1f}% | {r['wall_s']:.2f} | "
                     f"{r['pre_s']:.2f} | {r['phase_s']:.2f} | {r['post_s']:.2f} | {r['cpu_s']:.2f} | "
                     f"{r['http_ms_median']:.1f} | {r['load1_before']:.2f} |")
    for name in ("as is", "pre-imported"):
        med = statistics.median(r["rps"] for nm, r in rows if nm == name)
        lines.append(f"\nMedian {name}: {med:.1f} req/s = {100 * med / limit:.1f}% of the limit.")
    lines.append("")
    out = Path(args.out).with_name("harness_overhead_diag.md")
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", choices=["weightwatch", "inspect"])
    ap.add_argument("--base-url")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--n", type=int, default=2000, help="requests per run at concurrency > 1")
    ap.add_argument("--n1", type=int, default=200, help="requests per run at concurrency 1")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--profile-ww", type=int, metavar="C", help="profile one weightwatch run at concurrency C")
    ap.add_argument("--preimport", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--diag-preimport", type=int, metavar="C",
                    help="diagnosis: weightwatch as is vs with scipy.stats etc. imported before the timer, at C")
    ap.add_argument("--out", default=str(HERE / "results" / "harness_overhead.md"))
    args = ap.parse_args()

    if args.worker == "weightwatch":
        print(json.dumps(ww_worker(args.base_url, args.n, args.concurrency, preimport=args.preimport)))
        return 0
    if args.worker == "inspect":
        print(json.dumps(inspect_worker(args.base_url, args.n, args.concurrency)))
        return 0

    server, base_url = start_server(args.latency)
    try:
        if args.profile_ww:
            http(base_url.removesuffix("/v1") + "/_reset", "POST")
            res = ww_worker(base_url, args.n, args.profile_ww, profile=True)
            stats = http(base_url.removesuffix("/v1") + "/_stats")
            print(f"weightwatch at concurrency {args.profile_ww}: {args.n} requests in {res['wall_s']:.2f} s "
                  f"(under cProfile) = {args.n / res['wall_s']:.1f} req/s; before first request {res['pre_s']:.2f} s, "
                  f"phase {res['phase_s']:.2f} s, after last answer {res['post_s']:.2f} s; client CPU "
                  f"{res['cpu_s']:.2f} s; "
                  f"server peak in flight {stats['peak_in_flight']}")
            print(res["profile_tottime"])
            print(res["profile_cumulative"])
            print(res["profile_weightwatch"])
            return 0
        if args.diag_preimport:
            return diag_preimport(args, base_url, server.pid)
        ipy = str(ensure_inspect_venv())
        results: list[dict[str, Any]] = []
        levels = [int(x) for x in args.levels.split(",")]
        for c in levels:
            n = args.n1 if c == 1 else args.n
            for rep in range(args.repeats):
                order = [("weightwatch", sys.executable), ("inspect", ipy)]
                if rep % 2:
                    order.reverse()
                for tool, py in order:
                    r = run_one(tool, py, base_url, n, c, server.pid)
                    results.append(r)
                    print(f"c={c} rep={rep} {r['tool']}: {r['rps']:.1f} req/s (wall {r['wall_s']:.2f} s, "
                          f"process {r['process_s']:.2f} s, server requests {r['server_requests']}, peak in flight "
                          f"{r['server_peak']}, load1 before {r['load1_before']:.2f}, client CPU {r['cpu_s']:.2f} s, "
                          f"server CPU {r['server_cpu_s']:.2f} s)"
                          + (f", pre {r['pre_s']:.2f} s, phase {r['phase_s']:.2f} s, post {r['post_s']:.2f} s, "
                             f"HTTP median {r['http_ms_median']:.1f} ms, limiter peak {r['limiter_peak']}, journaled "
                             f"{r['journaled']}" if r["tool"] == "weightwatch" else
                             f", status {r['status']}, samples {r['samples']}, errors {r['errors']}"), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    ww = next(r for r in results if r["tool"] == "weightwatch")
    ins = next(r for r in results if r["tool"] == "inspect_ai")
    import aiohttp

    cmd = "/work/venv/bin/python " + " ".join(shlex.quote(a) for a in sys.argv)
    lines = ["# Harness overhead: weightwatch vs inspect_ai", "",
             f"- Command: `{cmd}` (from the repository root)",
             f"- Date (UTC): {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')}",
             f"- Machine: {machine()}; Python {platform.python_version()}. 1-minute load average before the runs: "
             f"{min(r['load1_before'] for r in results):.2f}-{max(r['load1_before'] for r in results):.2f} "
             "(per run in the raw rows below; above 1 means other jobs shared the 2 cores); the two tools were "
             "interleaved per level so any load hit both.",
             f"- Versions: weightwatch {ww['version']} (aiohttp {aiohttp.__version__}); inspect_ai {ins['version']} "
             f"(openai {ins['openai']}) in its own virtual environment {INSPECT_VENV.relative_to(ROOT)}",
             f"- Server: tests/servers/fake_openai.py as a subprocess on 127.0.0.1, fixed latency "
             f"{args.latency * 1000:.0f} ms per request, so the limit is concurrency / latency.",
             f"- Requests: single-turn, distinct prompts, temperature 0, max_tokens {MAX_TOKENS}, non-streaming; "
             f"{args.n} per run ({args.n1} at concurrency 1); {args.repeats} runs per tool and level.",
             "- weightwatch: `weightwatch.api.run` with a tiny registered probe, `max_concurrency` = C, "
             "fresh journal (SQLite, WAL, every completion committed), trivial scores journaled, run summary "
             "written. inspect_ai: `eval()` with `generate()`, no scorer, `max_connections` = C, .eval log written.",
             "- req/s = requests / wall time of `api.run(...)` or `eval(...)` inside a fresh subprocess "
             "(after imports, including each tool's start-up and write-out).", ""]
    lines += fmt_table(results, args.latency)
    lines += ["", "Raw runs:", "",
              "| concurrency | tool | req/s | wall s | client CPU ms/request | server CPU ms/request | "
              "server requests | server peak in flight | load1 before | notes |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r["tool"] == "weightwatch":
            note = (f"before first request {r['pre_s']:.2f} s; request phase {r['phase_s']:.2f} s "
                    f"({r['n'] / r['phase_s']:.1f} req/s); after last answer {r['post_s']:.2f} s; HTTP round trip "
                    f"median {r['http_ms_median']:.1f} ms, mean {r['http_ms_mean']:.1f} ms; runner call mean "
                    f"{r['call_ms_mean']:.1f} ms; limiter peak "
                    f"{r['limiter_peak']}; journaled {r['journaled']}, errors {r['errors']}, retries {r['retries']}")
        else:
            note = f"status {r['status']}; samples {r['samples']}, errors {r['errors']}; log {r['log_bytes']} bytes"
        lines.append(f"| {r['level']} | {r['tool']} | {r['rps']:.1f} | {r['wall_s']:.2f} | "
                     f"{1000 * r['cpu_s'] / r['n']:.2f} | {1000 * r['server_cpu_s'] / r['n']:.2f} | "
                     f"{r['server_requests']} | {r['server_peak']} | {r['load1_before']:.2f} | {note} |")
    lines.append("")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
