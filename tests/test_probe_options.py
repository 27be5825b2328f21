"""Typed probe options: each probe declares a model; a run's options are split among its probes and checked,
and a misspelled option is a one-line error listing the valid ones (it used to be ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.scripted import ScriptedTarget
from weightwatch.api import run
from weightwatch.errors import UserError
from weightwatch.probes import registry
from weightwatch.probes.options import resolve_options


def _probes(*names: str) -> list:  # type: ignore[type-arg]
    return [registry.get(n) for n in names]


def test_flat_and_by_probe_options_reach_their_probe_only() -> None:
    got = resolve_options(_probes("censorship", "codesec", "speed"),
                          {"languages": "en,de", "codesec": {"tasks": 2}, "speed_concurrency": "1,2",
                           "max_tokens": 64, "judge_self": True})
    assert got["censorship"] == {"languages": ["en", "de"], "max_tokens": 64}
    assert got["codesec"] == {"tasks": 2, "max_tokens": 64}  # max_tokens: both probes have it
    assert got["speed"] == {"speed_concurrency": [1, 2]}


def test_options_of_an_installed_probe_not_in_the_run_are_left_alone() -> None:
    got = resolve_options(_probes("capability"), {"censorship": {"topics": ["tibet"]}, "humaneval_limit": 3})
    assert got == {"capability": {"humaneval_limit": 3}}
    with pytest.raises(UserError, match="unknown option"):  # but not a misspelled probe name
        resolve_options(_probes("capability"), {"censorshp": {"topics": ["tibet"]}})


def test_by_probe_options_win_over_flat_ones() -> None:
    got = resolve_options(_probes("censorship"), {"languages": ["en"], "censorship": {"languages": ["de"]}})
    assert got["censorship"] == {"languages": ["de"]}


def test_a_misspelled_flat_option_is_an_error_listing_the_valid_ones() -> None:
    with pytest.raises(UserError) as exc:
        resolve_options(_probes("censorship", "sanity"), {"langauges": "en"})
    line = exc.value.one_line()
    assert "unknown option(s) langauges for probe(s) censorship, sanity" in line
    assert "censorship: languages, max_tokens, prompts, topics" in line and "sanity: none" in line


def test_a_misspelled_or_invalid_nested_option_names_the_probe() -> None:
    with pytest.raises(UserError) as exc:
        resolve_options(_probes("codesec"), {"codesec": {"taskz": 3}})
    valid = ", ".join(sorted(_probes("codesec")[0].Options.model_fields))
    assert "tasks" in valid
    assert exc.value.one_line() == f"codesec option 'taskz' is not an option; valid options: codesec: {valid}"
    with pytest.raises(UserError, match="speed option 'speed_reps' is invalid"):
        resolve_options(_probes("speed"), {"speed": {"speed_reps": 0}})
    with pytest.raises(UserError, match="must be a mapping"):
        resolve_options(_probes("speed"), {"speed": 3})


def test_the_run_refuses_unknown_options_before_anything_starts(tmp_path: Path) -> None:
    target = ScriptedTarget()
    with pytest.raises(UserError, match="unknown option"):
        run(["sanity"], [target], journal_file=tmp_path / "j.sqlite", config={}, options={"languages": ["en"]})
    assert sum(target.calls.values()) == 0


def test_every_probe_declares_options_that_forbid_unknown_keys() -> None:
    for name in registry.available():
        model = registry.get(name).Options
        assert model.model_config.get("extra") == "forbid", name
        assert model.model_validate({}).model_dump(exclude_unset=True) == {}, name  # nothing is required
