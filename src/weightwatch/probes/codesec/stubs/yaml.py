"""A stand-in for PyYAML (standard library only), run inside the sandbox.

Loads the JSON-compatible subset of YAML (flow style: what the functional tests write) and simple block
mappings of scalars (``key: value`` lines, ``#`` comments); dumps with ``json``. ``load`` without a
``Loader`` raises TypeError as in PyYAML 6.
"""

from __future__ import annotations

import json
from typing import Any


class YAMLError(Exception):
    pass


class SafeLoader:
    pass


class FullLoader(SafeLoader):
    pass


class UnsafeLoader(FullLoader):
    pass


Loader = UnsafeLoader
BaseLoader = SafeLoader
CSafeLoader = SafeLoader
CLoader = UnsafeLoader


def _scalar(text: str) -> Any:
    text = text.strip()
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return json.loads(text)
    except ValueError:
        return text.strip("'\"")


def _parse(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        pass
    out: dict[str, Any] = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#") or line.strip() == "---":
            continue
        if line[:1] in (" ", "\t") or ":" not in line:
            raise YAMLError("the weightwatch yaml stub reads flow style (JSON) and flat 'key: value' lines only")
        key, _, value = line.partition(":")
        out[key.strip()] = _scalar(value)
    return out


def _text(stream: Any) -> str:
    data = stream.read() if hasattr(stream, "read") else stream
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


def safe_load(stream: Any) -> Any:
    return _parse(_text(stream))


def load(stream: Any, Loader: Any = None) -> Any:  # noqa: N803
    if Loader is None:
        raise TypeError("load() missing 1 required positional argument: 'Loader'")
    return _parse(_text(stream))


def full_load(stream: Any) -> Any:
    return _parse(_text(stream))


unsafe_load = full_load


def safe_load_all(stream: Any) -> Any:
    return iter([_parse(part) for part in _text(stream).split("\n---")])


def dump(data: Any, stream: Any = None, **kwargs: Any) -> Any:
    text = json.dumps(data, indent=2, default=str) + "\n"
    if stream is None:
        return text
    stream.write(text)
    return None


safe_dump = dump


__version__ = "weightwatch-stub"
