"""Target strings and named targets.

    embedded:qwen2.5-coder-0.5b          a GGUF model shipped through PyPI packages (see embedded.py)
    gguf:/path/to/model.gguf             any local GGUF file, in-process with llama.cpp
    gguf:BASE.gguf+lora:ADAPTER.gguf     a GGUF with a LoRA adapter applied (also embedded:NAME+lora:PATH)
    openai:MODEL@BASE_URL                any OpenAI-compatible server, e.g.
                                         openai:qwen3-8b@http://localhost:8000/v1
                                         (several replicas: openai:MODEL@URL1,URL2)
    mock:NAME                            a deterministic offline stand-in (targets/mock.py)
    NAME                                 a [targets.NAME] table of weightwatch.toml

Backends are registered by kind: `@backend("kind")` on a factory `(TargetSpec) -> Target` here, or, from
another package, an entry point in the group `weightwatch.targets` named after the kind, pointing at such a
factory (see docs/architecture.md, "Adding a backend").

A named target's table:

    [targets.qwen3]
    spec = "openai:qwen3-8b@http://gpu1:8000/v1"
    base_urls = ["http://gpu2:8000/v1"]      # more replicas of the same deployment (balanced)
    api_key_env = "QWEN_API_KEY"             # the NAME of the variable holding the key, never the key
    temperature = 0.6                        # sampling defaults for repeated samples
    top_p = 0.95
    max_tokens = 2048
    timeout_s = 300
    max_concurrency = 32
    price_input_per_mtok = 0.30              # USD per 1M tokens, for cost metrics
    price_output_per_mtok = 1.20
    price_per_hour = 2.5                     # or: the machine's price per hour
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weightwatch.errors import UserError
from weightwatch.plugins import load_plugins
from weightwatch.targets.base import Target

EXAMPLES = ("embedded:qwen2.5-coder-0.5b, gguf:/path/model.gguf, "
            "openai:qwen3-8b@http://localhost:8000/v1, or a name from weightwatch.toml")

_NUMERIC = {"temperature", "top_p", "timeout_s", "price_input_per_mtok", "price_output_per_mtok",
            "price_per_hour"}
_INTEGER = {"max_tokens", "max_concurrency", "n_ctx", "seed"}
_STRING = {"spec", "api_key_env", "description"}
ALLOWED_KEYS = _NUMERIC | _INTEGER | _STRING | {"base_urls"}
_OPENAI_AT = re.compile(r"@(?=https?://)", re.IGNORECASE)
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _named_tables(config: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Accept either the whole parsed weightwatch.toml or just its [targets] mapping."""
    if not config:
        return {}
    inner = config.get("targets")
    tables: dict[str, Any] = inner if isinstance(inner, dict) else config
    return {k: v for k, v in tables.items() if isinstance(v, dict) and "spec" in v}


def _check_table(name: str, table: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(table) - ALLOWED_KEYS)
    if unknown:
        raise UserError(f"[targets.{name}] has unknown key(s) {', '.join(unknown)}",
                        f"allowed keys: {', '.join(sorted(ALLOWED_KEYS))}")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in _NUMERIC:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UserError(f"[targets.{name}] {key} must be a number, not {value!r}", f"e.g. {key} = 0.7")
            if value != value or value in (float("inf"), float("-inf")):  # TOML allows nan and inf
                raise UserError(f"[targets.{name}] {key} must be a finite number, not {value}",
                                f"fix {key} in weightwatch.toml")
            if value < 0:
                raise UserError(f"[targets.{name}] {key} must not be negative", f"fix {key} in weightwatch.toml")
            if key == "timeout_s" and value == 0:
                raise UserError(f"[targets.{name}] timeout_s must be above 0", "e.g. timeout_s = 300")
            if key == "top_p" and not 0 < value <= 1:
                raise UserError(f"[targets.{name}] top_p must be above 0 and at most 1, not {value}",
                                "e.g. top_p = 0.95, or remove it for the server's default")
            out[key] = float(value)
        elif key in _INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserError(f"[targets.{name}] {key} must be a whole number, not {value!r}",
                                f"e.g. {key} = 512")
            if key != "seed" and value < 1:
                raise UserError(f"[targets.{name}] {key} must be at least 1, not {value}",
                                f"set {key} in weightwatch.toml to 1 or more, or remove it for the default")
            if key == "seed" and not 0 <= value <= 2**31 - 1:  # -1 is llama.cpp's "random": runs would not repeat
                raise UserError(f"[targets.{name}] seed must be between 0 and 2147483647, not {value}",
                                "fix seed in weightwatch.toml, or remove it")
            out[key] = value
        elif key in _STRING:
            if not isinstance(value, str) or not value.strip():
                raise UserError(f"[targets.{name}] {key} must be a non-empty string",
                                f"fix {key} in weightwatch.toml")
            out[key] = value.strip()
        elif key == "base_urls":
            if not isinstance(value, list) or not all(isinstance(u, str) and u.strip() for u in value):
                raise UserError(f"[targets.{name}] base_urls must be a list of URLs",
                                'e.g. base_urls = ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]')
            out[key] = [u.strip() for u in value]
    if "api_key_env" in out and not _ENV_NAME_RE.match(out["api_key_env"]):
        raise UserError(f"[targets.{name}] api_key_env must be the NAME of an environment variable",
                        'e.g. api_key_env = "DEEPSEEK_API_KEY"; never put the key itself in the file')
    return out


def _defaults(opts: dict[str, Any]) -> dict[str, Any]:
    return {k: opts[k] for k in ("temperature", "top_p", "max_tokens") if k in opts}


def _price(opts: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    if "price_input_per_mtok" in opts:
        out["input_per_mtok"] = opts["price_input_per_mtok"]
    if "price_output_per_mtok" in opts:
        out["output_per_mtok"] = opts["price_output_per_mtok"]
    if "price_per_hour" in opts:
        out["hour"] = opts["price_per_hour"]
    return out


def _check_url(url: str, spec_shown: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise UserError(f"'{spec_shown}' has an invalid URL: {exc}",
                        "write it as openai:MODEL@http://HOST:PORT/v1") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        from weightwatch.targets.http import redact_url

        which = f" '{redact_url(url)}'" if "," in spec_shown else ""  # several (base_urls): name the bad one
        raise UserError(f"'{spec_shown}' has an invalid base URL{which}",
                        "write it as openai:MODEL@http://HOST:PORT/v1"
                        + (" and base_urls as a list of http(s)://HOST:PORT/v1" if which else ""))
    path = parts.path.rstrip("/")
    for endpoint in ("/chat/completions", "/completions", "/models"):  # an endpoint, not the base URL
        if path.lower().endswith(endpoint):
            from urllib.parse import urlunsplit

            from weightwatch.targets.http import redact_url

            base = urlunsplit((parts.scheme, parts.netloc, path[: -len(endpoint)], "", ""))

            raise UserError(f"'{spec_shown}' names the {endpoint} endpoint, not the base URL",
                            f"give the base URL, e.g. {redact_url(base)} (weightwatch adds the endpoints itself)")
    return url.rstrip("/")


def parse_target(spec: str, config: dict[str, Any] | None = None) -> Target:
    """A Target from a target string or the name of a [targets.NAME] table (nothing is loaded yet).

    `config` is the parsed weightwatch.toml (or just its `targets` mapping). Raises UserError for an
    unknown or malformed target, a missing model file or package, or a missing API key variable."""
    if not isinstance(spec, str) or not spec.strip():
        raise UserError("empty target", f"give a target such as {EXAMPLES}")
    spec = spec.strip()
    named = _named_tables(config)
    if spec in named:
        opts = _check_table(spec, named[spec])
        inner = opts["spec"]
        if inner in named or ":" not in inner:
            raise UserError(f"[targets.{spec}] spec must be a target string, not a name ({inner!r})",
                            f"e.g. spec = \"openai:qwen3-8b@http://localhost:8000/v1\"; forms: {EXAMPLES}")
        return _build(inner, opts, label=spec)
    inner_tables = (config or {}).get("targets")
    if ":" not in spec and isinstance(inner_tables, dict) and isinstance(inner_tables.get(spec), dict):
        raise UserError(f"[targets.{spec}] in weightwatch.toml has no spec",
                        'add the target string, e.g. spec = "openai:qwen3-8b@http://localhost:8000/v1"')
    if ":" not in spec:
        raise _unknown_name(spec, sorted(named))
    return _build(spec, {}, label=None)


def _unknown_name(spec: str, names: list[str]) -> UserError:
    """`-t deepseek` with no [targets.deepseek], or `-t smollm2-135m` without `embedded:`: say which it could be
    (a near embedded model or named target) and where named targets come from."""
    import difflib

    from weightwatch.config import config_path

    embedded = _embedded_names()
    if spec.lower() in embedded:
        return UserError(f"unknown target '{spec}'", f"did you mean -t embedded:{spec.lower()}? (embedded models "
                         "are written embedded:NAME)")
    near = difflib.get_close_matches(spec, names + [f"embedded:{n}" for n in embedded] + embedded, n=1, cutoff=0.7)
    if near:
        guess = near[0] if near[0] in names or near[0].startswith("embedded:") else f"embedded:{near[0]}"
        return UserError(f"unknown target '{spec}'", f"did you mean -t {guess}? ('weightwatch targets' lists them)")
    try:
        path = config_path()
    except UserError:
        path = None
    where = (f"{path} defines {', '.join(names)}" if names else f"{path} defines no [targets.NAME]") if path else \
        "no weightwatch.toml found in ./ or $WEIGHTWATCH_HOME"
    strings = EXAMPLES.removesuffix(", or a name from weightwatch.toml")
    return UserError(f"unknown target '{spec}': not a target string and not a named target ({where})",
                     f"give a target string such as {strings}, or define [targets.{spec}] with its spec in "
                     "weightwatch.toml")


def _embedded_names() -> list[str]:
    try:
        from weightwatch.targets.embedded import MODELS
    except ImportError:  # pragma: no cover - an installation without the embedded module
        return []
    return sorted(MODELS)


@dataclass(frozen=True)
class TargetSpec:
    """What a backend factory is given: the target string split at the first ':' and the named table."""

    kind: str  # e.g. "openai"
    rest: str  # everything after "kind:"
    spec: str  # the whole target string
    label: str | None = None  # the name of the [targets.NAME] table, when the target came from one
    options: dict[str, Any] = field(default_factory=dict)  # that table, checked (see ALLOWED_KEYS)

    def defaults(self) -> dict[str, Any]:
        """Sampling defaults from the table: temperature, top_p, max_tokens."""
        return _defaults(self.options)

    def price(self) -> dict[str, float]:
        """Prices from the table: input_per_mtok, output_per_mtok, hour."""
        return _price(self.options)


BackendFactory = Callable[[TargetSpec], Target]
ENTRY_POINT_GROUP = "weightwatch.targets"
_BACKENDS: dict[str, BackendFactory] = {}
_plugins_loaded = False


def backend(kind: str) -> Callable[[BackendFactory], BackendFactory]:
    """Register a factory for target strings `kind:...` (a decorator)."""
    def register(factory: BackendFactory) -> BackendFactory:
        _BACKENDS[kind.lower()] = factory
        return factory
    return register


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for name, value, factory in load_plugins(ENTRY_POINT_GROUP, "target", skip=set(_BACKENDS)):
        if not callable(factory):
            raise UserError(f"the target plugin '{name}' ({value}) is not a factory",
                            "its entry point must name a function (TargetSpec) -> Target")
        _BACKENDS[name.lower()] = factory


def backends() -> list[str]:
    """Every target kind this installation understands (built-in and plugins)."""
    _load_plugins()
    return sorted(_BACKENDS)


def _build(spec: str, opts: dict[str, Any], label: str | None) -> Target:
    kind, sep, rest = spec.partition(":")
    kind = kind.strip().lower()
    if not sep:
        raise UserError(f"unknown target '{spec}'", f"give a target such as {EXAMPLES}")
    factory = _BACKENDS.get(kind)
    if factory is None:
        _load_plugins()
        factory = _BACKENDS.get(kind)
    if factory is None:
        raise UserError(f"unknown target kind '{kind}' in '{_safe(spec)}'",
                        f"use one of: {EXAMPLES}; kinds here: {', '.join(backends())}")
    return factory(TargetSpec(kind=kind, rest=rest, spec=spec, label=label, options=opts))


@backend("embedded")
def _embedded(t: TargetSpec) -> Target:
    from weightwatch.targets.embedded import EmbeddedTarget

    rest, lora = _split_lora(t.rest)
    return EmbeddedTarget(rest.strip(), label=t.label, defaults=t.defaults(), price=t.price(),
                          n_ctx=t.options.get("n_ctx"), seed=t.options.get("seed", 0), lora_path=lora)


@backend("gguf")
def _gguf(t: TargetSpec) -> Target:
    from weightwatch.targets.llamacpp import LlamaCppTarget

    rest, lora = _split_lora(t.rest)
    raw = rest.strip()
    if not raw:
        raise UserError("'gguf:' needs a file path", "e.g. gguf:/models/qwen2.5-coder-0.5b-q4_k_m.gguf")
    path = Path(os.path.expandvars(raw)).expanduser()
    return LlamaCppTarget(path, label=t.label or t.spec, defaults=t.defaults(), price=t.price(),
                          n_ctx=t.options.get("n_ctx"), seed=t.options.get("seed", 0), lora_path=lora)


@backend("openai")
def _openai(t: TargetSpec) -> Target:
    from weightwatch.targets.http import redact_url
    from weightwatch.targets.openai_http import (
        DEFAULT_MAX_CONCURRENCY,
        DEFAULT_TIMEOUT_S,
        OpenAIConfig,
        OpenAITarget,
    )

    opts = t.options
    if LORA_SEP in t.rest:  # it would end up inside the base URL (a 404 from the server at best)
        raise UserError(f"an openai target takes no adapter: 'openai:{_safe(t.rest.strip())}'",
                        "load the adapter in the server (e.g. vLLM --lora-modules) and name it as the MODEL, "
                        "or use gguf:BASE.gguf+lora:ADAPTER.gguf")
    model, urls = _split_openai(t.rest.strip(), opts)
    shown = "openai:" + model + "@" + ",".join(redact_url(u) for u in urls)
    urls = [_check_url(u, shown) for u in urls]
    cfg = OpenAIConfig(model=model, base_urls=urls, api_key_env=opts.get("api_key_env"),
                       timeout_s=opts.get("timeout_s", DEFAULT_TIMEOUT_S),
                       max_concurrency=opts.get("max_concurrency", DEFAULT_MAX_CONCURRENCY),
                       defaults=t.defaults(), price=t.price())
    return OpenAITarget(t.label or shown, cfg)


@backend("mock")
def _mock(t: TargetSpec) -> Target:
    from weightwatch.targets.mock import MockTarget

    if LORA_SEP in t.rest:  # it would become a fixed-answer mock named 'echo+lora:...', the adapter unused
        raise UserError(f"a mock target takes no adapter: 'mock:{t.rest.strip()}'",
                        "put +lora:ADAPTER.gguf after a local model: gguf:BASE.gguf+lora:ADAPTER.gguf or "
                        "embedded:NAME+lora:ADAPTER.gguf")
    return MockTarget(t.rest.strip(), label=t.label, defaults=t.defaults(), price=t.price())


LORA_SEP = "+lora:"


def _split_lora(rest: str) -> tuple[str, Path | None]:
    """'BASE+lora:ADAPTER.gguf' -> (BASE, adapter path); the adapter must exist (checked fully at load)."""
    if LORA_SEP not in rest:
        return rest, None
    base, _, adapter = rest.partition(LORA_SEP)
    if not adapter.strip() or LORA_SEP in adapter:
        raise UserError(f"malformed adapter in '{rest}'", "write it as gguf:BASE.gguf+lora:ADAPTER.gguf (one adapter)")
    path = Path(os.path.expandvars(adapter.strip())).expanduser()
    if not path.is_file():
        raise UserError(f"adapter file '{path}' does not exist", "check the path after '+lora:'")
    return base, path


def _safe(spec: str) -> str:
    return re.sub(r"//[^/@\s]*@", "//", spec)


def _split_openai(rest: str, opts: dict[str, Any]) -> tuple[str, list[str]]:
    extra = list(opts.get("base_urls", []))
    m = _OPENAI_AT.search(rest)
    if m and not any(c.isspace() for c in rest):
        model = rest[: m.start()]
        urls = [u for u in rest[m.end():].split(",") if u]
    elif "@" not in rest and rest and extra:
        model, urls = rest, []
    else:
        raise UserError(f"malformed openai target 'openai:{_safe(rest)}'",
                        "write it as openai:MODEL@BASE_URL, e.g. openai:qwen3-8b@http://localhost:8000/v1")
    if not model.strip():
        raise UserError("the openai target has no model name",
                        "write it as openai:MODEL@BASE_URL, e.g. openai:qwen3-8b@http://localhost:8000/v1")
    seen: list[str] = []
    for u in urls + extra:
        if u.rstrip("/") not in seen:
            seen.append(u.rstrip("/"))
    return model.strip(), seen
