"""`weightwatch judge censorship / calibrate --judge TARGET` keep the judge's answers in the journal.

Real processes against a real loopback judge server (tests/servers/fake_openai.py): Ctrl-C in the middle of
`judge censorship` loses none of the judge labels obtained so far, and the same command then asks the judge
only for the rest; a judge that labels nothing makes `judge calibrate` exit 1, as `judge censorship` does."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers.fake_openai import FakeOpenAI, Fault

N = 60
DELAY_S = 0.08  # the server answers one judge request at a time (a blocking reply): about 5 s for all


def _slow_judge(label: str):  # type: ignore[no-untyped-def]
    def answer(prompt: str) -> str:
        time.sleep(DELAY_S)  # blocks the server's loop: requests are served one after another
        return json.dumps({"label": label, "facts_covered": [], "flags_matched": [], "rationale": "scripted"})
    return answer


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, WEIGHTWATCH_HOME=str(home), WEIGHTWATCH_CENSORSHIP_HEAD="0", NO_COLOR="1",
                COLUMNS="200", WEIGHTWATCH_PROGRESS_INTERVAL="0.5")


def _records(path: Path) -> Path:
    rows = [{"id": f"r{i}", "prompt": f"Tell me about the history of Lhasa, part {i}.",
             "response": f"Lhasa has a long history; here is part {i} of it, with its temples and markets."}
            for i in range(N)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _judged(db: Path) -> int:
    """Judge answers journaled without error."""
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(con.execute("SELECT COUNT(*) FROM samples WHERE probe = 'judge' AND error IS NULL").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _settled_requests(srv: FakeOpenAI) -> int:
    """The server's request count once nothing has arrived for a second."""
    last, since = -1, time.monotonic()
    while time.monotonic() - since < 1.0:
        st = srv.stats()
        if st["requests"] != last or st["in_flight"]:
            last, since = st["requests"], time.monotonic()
        time.sleep(0.05)
    return last


@pytest.mark.parametrize(("signum", "code", "said"), [
    (signal.SIGINT, 130, "interrupted: "),
    (signal.SIGTERM, 143, "interrupted (SIGTERM): "),  # kill, CI timeouts: the same clean stop, exit 128 + 15
], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_the_judge_labels_and_the_same_command_reuses_them(tmp_path: Path, signum: int, code: int,
                                                                       said: str) -> None:
    src = _records(tmp_path / "answers.jsonl")
    dst = tmp_path / "labelled.jsonl"
    db = tmp_path / "journal.sqlite"
    with FakeOpenAI(reply=_slow_judge("refused")) as srv:
        cmd = [sys.executable, "-m", "weightwatch", "judge", "censorship", "-i", str(src), "-o", str(dst),
               "--judge", f"openai:fake-model@{srv.base_url}"]
        proc = subprocess.Popen(cmd, env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None and _judged(db) < 10:
                time.sleep(0.02)
            assert proc.poll() is None, "the command ended before it could be interrupted"
            proc.send_signal(signum)
            _, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == code, stderr
        assert "Traceback" not in stderr
        assert said + "the judge answers received so far are kept in the journal" in stderr, stderr
        assert stderr.count("interrupted") == 1, stderr  # one line
        kept = _judged(db)
        assert 10 <= kept < N
        asked_first = _settled_requests(srv)  # requests of the killed connections may still be in the queue

        again = subprocess.run(cmd, env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        asked_second = srv.stats()["requests"] - asked_first
    # the second run asked only what the first had not journaled: fewer requests than records
    assert asked_second == N - kept, (asked_second, kept)
    assert f"{kept} judge answer(s) reused from the journal ({N - kept} asked now" in again.stderr, again.stderr
    assert f"/{N} samples" in again.stderr and f"{N}/{N} samples" in again.stderr  # progress lines
    rows = [json.loads(line) for line in dst.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(N)]  # complete, in input order
    assert all(r["llm_label"] == "refused" and r["label"] == "refused" for r in rows)
    assert json.loads(again.stdout)["refused"] == N
    assert _judged(db) == N


def _labelled(path: Path) -> Path:
    rows = [{"id": "a", "prompt": "What happened in Lhasa in 1959?", "response": "I cannot discuss that.",
             "language": "en", "label": "refused"},
            {"id": "b", "prompt": "Tell me about Lhasa.", "response": "Lhasa is the capital of Tibet.",
             "language": "en", "label": "answered"},
            {"id": "c", "prompt": "Tell me about Lhasa.", "response": "", "language": "en", "label": "refused"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_calibrate_with_a_judge_that_labels_nothing_exits_1(tmp_path: Path) -> None:
    src = _labelled(tmp_path / "gold.jsonl")
    env = _env(tmp_path)
    # garbage replies: the requests succeed, no reply parses (one record is empty: never sent to the judge,
    # so "every label unscored" alone would not have caught it)
    with FakeOpenAI(reply=lambda p: "Sure! The answer looks fine to me.") as srv:
        proc = subprocess.run([sys.executable, "-m", "weightwatch", "judge", "calibrate", "--input", str(src),
                               "--judge", f"openai:fake-model@{srv.base_url}", "--json", str(tmp_path / "c.json")],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert srv.stats()["requests"] == 2
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "no answer got a label from --judge openai:fake-model@" in errors[0], proc.stderr
    assert "run the command again with --fresh" in errors[0]  # the garbage replies are journaled
    assert "Traceback" not in proc.stderr
    assert "| all | 3 |" in proc.stdout  # the tables are still shown, and the JSON written
    assert json.loads((tmp_path / "c.json").read_text("utf-8"))[0]["overall"]["unscored"] == 2
    # a server that fails every request (400: not retried) is the same exit 1
    with FakeOpenAI(faults=[Fault("400", first=99)]) as srv:
        proc = subprocess.run([sys.executable, "-m", "weightwatch", "judge", "calibrate", "--input", str(src),
                               "--judge", f"openai:fake-model@{srv.base_url}"],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "error: no answer got a label from --judge" in proc.stderr, proc.stderr
    assert "--fresh" not in proc.stderr  # failed requests are not kept: the same command asks them again
    # and a judge that labels: exit 0, and its answers are reused by the next same command
    with FakeOpenAI(reply=_slow_judge("refused")) as srv:
        args = [sys.executable, "-m", "weightwatch", "judge", "calibrate", "--input", str(src),
                "--judge", f"openai:fake-model@{srv.base_url}"]
        first = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        second = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert srv.stats()["requests"] == 2  # the second command asked nothing
        fresh = subprocess.run([*args, "--fresh"], env=env, cwd=tmp_path, capture_output=True, text=True,
                               timeout=300)
        assert srv.stats()["requests"] == 4  # --fresh asks again
    assert first.returncode == 0 and second.returncode == 0 and fresh.returncode == 0, second.stderr
    assert "2 judge answer(s) reused from the journal (0 asked now" in second.stderr, second.stderr
    assert first.stdout == second.stdout == fresh.stdout


def test_fresh_without_a_judge_is_one_line(tmp_path: Path) -> None:
    from tests.test_cli_errors import assert_one_line_error, ww

    src = _labelled(tmp_path / "gold.jsonl")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(src), "--fresh", home=tmp_path),
                          "--fresh goes with --judge")
    assert_one_line_error(ww("judge", "censorship", "-i", str(src), "-o", str(tmp_path / "o.jsonl"), "--fresh",
                             home=tmp_path), "--fresh goes with --judge")


def test_identical_questions_are_sent_to_the_judge_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records repeating the same (prompt, response) ask the judge the same question: it is sent once within
    a command (they are judged concurrently, so the journal alone did not catch it), even with --fresh."""
    from weightwatch import api

    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    monkeypatch.setenv("WEIGHTWATCH_CENSORSHIP_HEAD", "0")
    pairs = [("What happened in Lhasa in 1959?", "I cannot discuss that."),
             ("Tell me about Lhasa.", "Lhasa is the capital of Tibet."),
             ("Tell me about Lhasa, please.", "Lhasa is the capital of Tibet.")]  # same answer, other question
    rows = [{"id": f"r{i}-{k}", "prompt": p, "response": r} for i, (p, r) in enumerate(pairs) for k in range(3)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with FakeOpenAI(reply=_slow_judge("answered")) as srv:
        judge = f"openai:fake-model@{srv.base_url}"
        tally = api.JudgeTally()
        api.judge_censorship_file(src, tmp_path / "out.jsonl", judge=judge, tally=tally)
        st = srv.stats()
        assert st["requests"] == len(pairs) and set(st["by_prompt"].values()) == {1}, st["by_prompt"]
        assert (tally.asked, tally.shared, tally.reused, tally.labelled) == (3, 6, 0, 9)
        out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
        assert [r["id"] for r in out] == [r["id"] for r in rows] and all(r["llm_label"] == "answered" for r in out)
        # --fresh asks again, still once per question; without it, the journal answers every one
        fresh = api.JudgeTally()
        api.judge_censorship_file(src, tmp_path / "out.jsonl", judge=judge, fresh=True, tally=fresh)
        assert srv.stats()["requests"] == 2 * len(pairs) and (fresh.asked, fresh.shared) == (3, 6)
        again = api.JudgeTally()
        api.judge_censorship_file(src, tmp_path / "out.jsonl", judge=judge, tally=again)
        assert srv.stats()["requests"] == 2 * len(pairs) and again.asked == 0 and again.reused + again.shared == 9
        cli = subprocess.run([sys.executable, "-m", "weightwatch", "judge", "censorship", "-i", str(src), "-o",
                              str(tmp_path / "cli.jsonl"), "--judge", judge, "--fresh"], env=_env(tmp_path),
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert cli.returncode == 0, cli.stderr
        assert srv.stats()["requests"] == 3 * len(pairs)
    assert "6 record(s) asked the judge a question another record had asked: sent once" in cli.stderr


def test_a_run_asks_the_judge_each_question_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run censorship --judge`: two targets giving the same answers to the same prompts ask the judge the
    same questions; each is sent once, and both targets' samples get its label."""
    from weightwatch import api
    from weightwatch.engine.journal import Journal
    from weightwatch.probes.censorship.labels import LLM_SCORER
    from weightwatch.targets.mock import REFUSAL

    monkeypatch.setenv("WEIGHTWATCH_CENSORSHIP_HEAD", "0")
    with FakeOpenAI(reply=lambda p: REFUSAL) as target, FakeOpenAI(reply=_slow_judge("refused")) as judge:
        out = api.run(["censorship"], ["mock:refuse", f"openai:fake-model@{target.base_url}"],
                      options={"topics": ["tibet"], "languages": ["en"]}, judge=f"openai:fake-model@{judge.base_url}",
                      journal_file=tmp_path / "j.sqlite", config={})
        asked = judge.stats()
    j = Journal(tmp_path / "j.sqlite")
    try:
        rows = list(j.scored_samples(out.run_id, probe="censorship"))
    finally:
        j.close()
    per_target = len(rows) // 2
    assert per_target > 0 and len(rows) == 2 * per_target
    assert all((s := r.score(LLM_SCORER)) is not None and s.label == "refused" for r in rows)
    distinct = {(r.sample.planned.request.messages[-1].content, r.sample.completion.text) for r in rows}
    assert len(distinct) == per_target  # the two targets' questions are the same ones
    assert asked["requests"] == per_target and set(asked["by_prompt"].values()) == {1}
