from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from weightwatch.errors import MissingDependency, UserError
from weightwatch.targets.http import parse_retry_after, redact_url
from weightwatch.targets.openai_http import OpenAITarget
from weightwatch.targets.spec import parse_target

HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAS_LLAMA, reason="llama-cpp-python is not installed (pip install '.[embedded]')")


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _one_line(exc: UserError) -> str:
    line = exc.one_line()
    assert "\n" not in line
    return line


def test_openai_spec() -> None:
    t = parse_target("openai:qwen3-8b@http://localhost:8000/v1")
    assert isinstance(t, OpenAITarget)
    assert t.kind == "openai" and t.model == "qwen3-8b" and not t.in_process
    assert t.replicas == ["http://localhost:8000/v1"]
    assert t.label == "openai:qwen3-8b@http://localhost:8000/v1"
    assert t.max_concurrency == 64


def test_openai_spec_model_with_slashes_and_replicas() -> None:
    t = parse_target("openai:Qwen/Qwen3-8B@http://a:8000/v1,http://b:8000/v1/")
    assert isinstance(t, OpenAITarget)
    assert t.model == "Qwen/Qwen3-8B"
    assert t.replicas == ["http://a:8000/v1", "http://b:8000/v1"]


def test_openai_credentials_in_url_never_shown() -> None:
    t = parse_target("openai:m@https://alice:s3cret-pw@api.example.com/v1")
    assert isinstance(t, OpenAITarget)
    assert "s3cret-pw" not in t.label and "alice" not in t.label
    assert "s3cret-pw" not in repr(t)
    assert t.replicas == ["https://api.example.com/v1"]


@pytest.mark.parametrize(
    "spec",
    ["openai:qwen3-8b", "openai:@http://localhost:8000/v1", "openai:m@ftp://host/v1", "openai:m@http://",
     "openai:", "openai:m@localhost:8000/v1"],
)
def test_malformed_openai_specs(spec: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_target(spec)
    line = _one_line(exc.value)
    assert "openai:" in line and "http://" in line  # the hint shows a correct example


@pytest.mark.parametrize("spec", ["", "   ", "nosuchname", "foo:bar", "hf:Qwen/Qwen3"])
def test_unknown_targets(spec: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_target(spec)
    assert "embedded:qwen2.5-coder-0.5b" in _one_line(exc.value)


def test_unknown_embedded_model_lists_the_known_ones() -> None:
    with pytest.raises(UserError) as exc:
        parse_target("embedded:llama-70b")
    line = _one_line(exc.value)
    assert "embedded:smollm2-135m" in line and "embedded:qwen2.5-coder-0.5b" in line


def test_redact_and_retry_after() -> None:
    assert redact_url("http://u:p@h:8000/v1?key=abc") == "http://h:8000/v1"
    assert redact_url("https://[::1]:8443/v1") == "https://[::1]:8443/v1"
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


CONFIG = {
    "targets": {
        "qwen3": {
            "spec": "openai:qwen3-8b@http://gpu1:8000/v1",
            "base_urls": ["http://gpu2:8000/v1", "http://gpu1:8000/v1/"],
            "api_key_env": "WW_TEST_KEY",
            "temperature": 0.6,
            "top_p": 0.95,
            "max_tokens": 2048,
            "timeout_s": 30,
            "max_concurrency": 12,
            "price_input_per_mtok": 0.3,
            "price_output_per_mtok": 1.2,
            "price_per_hour": 2,
        },
        "bad_key_name": {"spec": "openai:m@http://h/v1", "api_key_env": "sk-1234567890"},
        "typo": {"spec": "openai:m@http://h/v1", "temprature": 0.5},
        "wrongtype": {"spec": "openai:m@http://h/v1", "temperature": "hot"},
        "loop": {"spec": "qwen3"},
    },
    "origins": {"x": "y"},
}


def test_named_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_TEST_KEY", "sk-test-named-1234")
    for cfg in (CONFIG, CONFIG["targets"]):
        t = parse_target("qwen3", cfg)
        assert isinstance(t, OpenAITarget)
        assert t.label == "qwen3"
        assert t.replicas == ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]
        assert t.defaults() == {"temperature": 0.6, "top_p": 0.95, "max_tokens": 2048}
        assert t.price == {"input_per_mtok": 0.3, "output_per_mtok": 1.2, "hour": 2.0}
        assert t.max_concurrency == 12
        assert t.api_key_env == "WW_TEST_KEY"
        assert "sk-test-named-1234" not in repr(t) and "sk-test-named-1234" not in repr(vars(t))


def test_named_target_needs_its_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WW_TEST_KEY", raising=False)
    with pytest.raises(UserError) as exc:
        parse_target("qwen3", CONFIG)
    assert "WW_TEST_KEY" in _one_line(exc.value)


@pytest.mark.parametrize(("name", "needle"), [("bad_key_name", "NAME of an environment variable"),
                                               ("typo", "unknown key"), ("wrongtype", "must be a number"),
                                               ("loop", "not a name")])
def test_bad_named_targets(name: str, needle: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_target(name, CONFIG)
    line = _one_line(exc.value)
    assert needle in line
    assert "sk-1234567890" not in line or name == "bad_key_name"


def test_origins_table_is_not_a_target() -> None:
    with pytest.raises(UserError, match="unknown target"):
        parse_target("origins", CONFIG)


def test_gguf_missing_file(tmp_path: Path) -> None:
    if not HAS_LLAMA:
        with pytest.raises(MissingDependency):
            parse_target(f"gguf:{tmp_path / 'nope.gguf'}")
        return
    with pytest.raises(UserError, match="does not exist"):
        parse_target(f"gguf:{tmp_path / 'nope.gguf'}")
    with pytest.raises(UserError, match="needs a file path"):
        parse_target("gguf:")


@needs_llama
def test_gguf_not_a_gguf_file(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_text("<html>404</html>")
    with pytest.raises(UserError) as exc:
        parse_target(f"gguf:{bad}")
    assert "not a GGUF" in _one_line(exc.value)


@needs_llama
def test_gguf_spec_builds_an_in_process_target(tmp_path: Path) -> None:
    f = tmp_path / "tiny.gguf"
    f.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + b"\0" * 16)
    t = parse_target(f"gguf:{f}", {"targets": {"local": {"spec": f"gguf:{f}", "temperature": 0.8}}})
    assert t.kind == "gguf" and t.in_process and t.max_concurrency == 1
    named = parse_target("local", {"targets": {"local": {"spec": f"gguf:{f}", "temperature": 0.8}}})
    assert named.label == "local" and named.defaults() == {"temperature": 0.8}


def test_missing_llama_cpp_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def fake_find_spec(name: str, *a: object, **k: object) -> object:
        return None if name == "llama_cpp" else real(name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", fake_find_spec)
    f = tmp_path / "x.gguf"
    f.write_bytes(b"GGUF" + (3).to_bytes(4, "little"))
    for spec in (f"gguf:{f}", "embedded:smollm2-135m"):
        with pytest.raises(MissingDependency) as exc:
            parse_target(spec)
        line = _one_line(exc.value)
        assert "llama-cpp-python" in line and "weightwatch[embedded]" in line


def test_http_status_to_error_kind() -> None:
    from weightwatch.targets.http import kind_for_status, status_error

    table = {401: "auth", 403: "auth", 429: "rate_limit", 503: "overloaded", 529: "overloaded", 500: "transient",
             502: "transient", 408: "transient", 400: "fatal", 404: "fatal", 422: "fatal",
             501: "fatal", 505: "fatal"}  # 501: e.g. python -m http.server answering a POST
    assert {s: kind_for_status(s) for s in table} == table
    err = status_error(529, "HTTP 529 from x", retry_after=3.0)
    assert err.kind == "overloaded" and err.retryable and err.retry_after == 3.0 and err.status == 529
    assert not status_error(400, "bad").retryable


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/v1", "http://user:pw@127.0.0.1:70000/v1",
                                 "http://127.0.0.1:port/v1"])
def test_port_out_of_range_is_a_user_error(url: str) -> None:
    """A port out of range used to end in 'internal error: ValueError: Port out of range 0-65535'."""
    with pytest.raises(UserError) as exc:
        parse_target(f"openai:m@{url}")
    line = _one_line(exc.value)
    assert "has an invalid URL" in line and "openai:MODEL@http://HOST:PORT/v1" in line, line
    assert "pw" not in line
    assert redact_url("http://user:pw@127.0.0.1:70000/v1") == "http://127.0.0.1:70000/v1"
