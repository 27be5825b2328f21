"""A small stand-in for Flask, Werkzeug and MarkupSafe (standard library only), run inside the sandbox.

Enough of the public API for a functional test to drive an answer's app through ``app.test_client()``:
routes with converters and methods, blueprints, before/after-request hooks, error handlers, ``request``
(args, form, files, json, data, headers, cookies), ``session`` (a signed cookie; like Flask it needs
``secret_key``), ``g``, ``make_response``/``Response`` with ``set_cookie``, ``jsonify``, ``redirect``,
``url_for``, ``abort``, ``send_file``/``send_from_directory``, ``flash``, ``render_template_string``
(``{{ name }}``, ``{{ a.b }}``, ``{{ x|safe }}`` only, autoescaped). ``app.run()`` returns at once.
Anything else raises WeightwatchStubLimit (a ModuleNotFoundError: the test outcome is "not testable").
Installed by ``install()`` (see weightwatch.probes.codesec.stubs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import io
import json
import logging
import os
import re
import sys
import traceback
import types
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any


class WeightwatchStubLimit(ModuleNotFoundError):
    """The stub does not provide this API: the answer cannot be tested here."""


# ------------------------------------------------------------------------------------------ markupsafe


class Markup(str):
    def __html__(self) -> str:
        return str(self)


def escape(s: Any) -> Markup:
    if hasattr(s, "__html__"):
        return Markup(s.__html__())
    return Markup(html.escape(str(s), quote=True))


# ------------------------------------------------------------------------------------------ datastructures


class MultiDict(dict):  # type: ignore[type-arg]
    def __init__(self, pairs: Iterable[tuple[str, Any]] | dict[str, Any] | None = None) -> None:
        super().__init__()
        self._lists: dict[str, list[Any]] = {}
        items = pairs.items() if isinstance(pairs, dict) else (pairs or [])
        for k, v in items:
            for one in (v if isinstance(v, list) else [v]):
                self._lists.setdefault(k, []).append(one)
                if k not in self:
                    dict.__setitem__(self, k, one)

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        if key not in self:
            return default
        value = self[key]
        if type is not None:
            try:
                return type(value)
            except (ValueError, TypeError):
                return default
        return value

    def getlist(self, key: str, type: Any = None) -> list[Any]:  # noqa: A002
        values = list(self._lists.get(key, []))
        return [type(v) for v in values] if type is not None else values

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        return dict(self) if flat else {k: list(v) for k, v in self._lists.items()}


class Headers:
    def __init__(self, items: Iterable[tuple[str, str]] | dict[str, str] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        for k, v in (items.items() if isinstance(items, dict) else (items or [])):
            self.add(k, v)

    def add(self, key: str, value: Any) -> None:
        self._items.append((key, str(value)))

    def set(self, key: str, value: Any) -> None:
        self._items = [(k, v) for k, v in self._items if k.lower() != key.lower()]
        self.add(key, value)

    __setitem__ = set

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        for k, v in self._items:
            if k.lower() == key.lower():
                return type(v) if type is not None else v
        return default

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._items if k.lower() == key.lower()]

    get_all = getlist

    def __getitem__(self, key: str) -> str:
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return str(v)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __delitem__(self, key: str) -> None:
        self._items = [(k, v) for k, v in self._items if k.lower() != key.lower()]

    def remove(self, key: str) -> None:
        del self[key]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def keys(self) -> list[str]:
        return [k for k, _ in self._items]

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def update(self, other: Any) -> None:
        for k, v in (other.items() if hasattr(other, "items") else other):
            self.set(k, v)

    def setdefault(self, key: str, value: Any) -> str:
        if key not in self:
            self.add(key, value)
        return str(self.get(key))


class FileStorage:
    def __init__(self, stream: Any = None, filename: str | None = None, name: str | None = None,
                 content_type: str | None = None, headers: Any = None) -> None:
        data = stream if isinstance(stream, bytes) else (stream.read() if stream is not None else b"")
        if isinstance(data, str):
            data = data.encode()
        self.stream = io.BytesIO(data)
        self.filename = filename
        self.name = name
        self.content_type = content_type or "application/octet-stream"
        self.mimetype = self.content_type.split(";")[0]
        self.headers = Headers({"Content-Type": self.content_type})
        self.content_length = len(data)

    def read(self, *args: Any) -> bytes:
        return self.stream.read(*args)

    def seek(self, *args: Any) -> int:
        return self.stream.seek(*args)

    def tell(self) -> int:
        return self.stream.tell()

    def save(self, dst: Any, buffer_size: int = 16384) -> None:
        data = self.stream.getvalue()
        if hasattr(dst, "write"):
            dst.write(data)
            return
        with open(dst, "wb") as fh:
            fh.write(data)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------ werkzeug


class HTTPException(Exception):
    code = 500
    description = "Internal Server Error"

    def __init__(self, description: str | None = None, response: Any = None) -> None:
        super().__init__(description or self.description)
        if description is not None:
            self.description = description
        self.response = response

    def get_response(self) -> Response:
        return Response(f"<h1>{self.code}</h1><p>{html.escape(str(self.description))}</p>", self.code)


def _http_error(code: int, name: str) -> type[HTTPException]:
    return type(name, (HTTPException,), {"code": code, "description": name})


BadRequest = _http_error(400, "BadRequest")
Unauthorized = _http_error(401, "Unauthorized")
Forbidden = _http_error(403, "Forbidden")
NotFound = _http_error(404, "NotFound")
MethodNotAllowed = _http_error(405, "MethodNotAllowed")
Conflict = _http_error(409, "Conflict")
RequestEntityTooLarge = _http_error(413, "RequestEntityTooLarge")
UnsupportedMediaType = _http_error(415, "UnsupportedMediaType")
TooManyRequests = _http_error(429, "TooManyRequests")
InternalServerError = _http_error(500, "InternalServerError")
_CODES = {c.code: c for c in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                              RequestEntityTooLarge, UnsupportedMediaType, TooManyRequests, InternalServerError)}


def abort(status: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(status, Response):
        raise HTTPException(response=status)
    cls = _CODES.get(int(status)) or _http_error(int(status), f"HTTP{status}")
    raise cls(*args[:1])


def secure_filename(filename: str) -> str:
    filename = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    for sep in (os.sep, os.path.altsep):
        if sep:
            filename = filename.replace(sep, " ")
    return re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(filename.split())).strip("._")


def generate_password_hash(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
    salt = base64.b64encode(os.urandom(salt_length)).decode()[:salt_length]
    kind, *params = method.split(":")
    if kind == "scrypt":
        n, r, p = (int(x) for x in (params + ["32768", "8", "1"][len(params):]))
        h = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p, dklen=64)
        return f"scrypt:{n}:{r}:{p}${salt}${h.hex()}"
    algo = params[0] if params else "sha256"
    iters = int(params[1]) if len(params) > 1 else 600000
    h = hashlib.pbkdf2_hmac(algo, password.encode(), salt.encode(), iters)
    return f"pbkdf2:{algo}:{iters}${salt}${h.hex()}"


def check_password_hash(pwhash: str, password: str) -> bool:
    try:
        method, salt, digest = pwhash.split("$", 2)
    except ValueError:
        return False
    kind, *params = method.split(":")
    if kind == "scrypt":
        n, r, p = (int(x) for x in params)
        h = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p, dklen=64)
    else:
        h = hashlib.pbkdf2_hmac(params[0], password.encode(), salt.encode(), int(params[1]))
    return hmac.compare_digest(h.hex(), digest)


def safe_join(directory: str, *pathnames: str) -> str | None:
    parts = [directory]
    for p in pathnames:
        p = p.replace("\\", "/")
        if os.path.isabs(p) or p == ".." or p.startswith("../") or "/../" in p or p.endswith("/.."):
            return None
        parts.append(p)
    return os.path.join(*parts)


# ------------------------------------------------------------------------------------------ responses


class Response:
    default_mimetype = "text/html"

    def __init__(self, response: Any = None, status: Any = None, headers: Any = None, mimetype: str | None = None,
                 content_type: str | None = None, direct_passthrough: bool = False) -> None:
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.set_data(response if response is not None else b"")
        self.status_code = 200
        if status is not None:
            self.status = status  # type: ignore[assignment]
        ctype = content_type or (mimetype or self.default_mimetype)
        if "Content-Type" not in self.headers:
            self.headers.set("Content-Type", ctype)

    @property
    def status(self) -> str:
        return f"{self.status_code}"

    @status.setter
    def status(self, value: Any) -> None:
        self.status_code = int(str(value).split()[0])

    def set_data(self, value: Any) -> None:
        if isinstance(value, str):
            value = value.encode()
        elif not isinstance(value, bytes | bytearray):
            value = b"".join(v.encode() if isinstance(v, str) else bytes(v) for v in value)
        self.data = bytes(value)

    def get_data(self, as_text: bool = False) -> Any:
        return self.data.decode("utf-8", "replace") if as_text else self.data

    @property
    def text(self) -> str:
        return str(self.get_data(as_text=True))

    @property
    def json(self) -> Any:
        return json.loads(self.data or b"null")

    def get_json(self, *args: Any, **kwargs: Any) -> Any:
        return self.json

    @property
    def mimetype(self) -> str:
        return str(self.headers.get("Content-Type", "")).split(";")[0]

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", value)

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", ""))

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers.set("Content-Type", value)

    @property
    def location(self) -> str | None:
        loc = self.headers.get("Location")
        return str(loc) if loc is not None else None

    def set_cookie(self, key: str, value: str = "", max_age: Any = None, expires: Any = None, path: str = "/",
                   domain: str | None = None, secure: bool = False, httponly: bool = False,
                   samesite: str | None = None, **kwargs: Any) -> None:
        parts = [f"{key}={value}", f"Path={path}"]
        if max_age is not None:
            seconds = max_age.total_seconds() if hasattr(max_age, "total_seconds") else max_age
            parts.append(f"Max-Age={int(seconds)}")
        if expires is not None:
            parts.append(f"Expires={expires}")
        if domain:
            parts.append(f"Domain={domain}")
        if secure:
            parts.append("Secure")
        if httponly:
            parts.append("HttpOnly")
        if samesite:
            parts.append(f"SameSite={samesite}")
        self.headers.add("Set-Cookie", "; ".join(parts))

    def delete_cookie(self, key: str, path: str = "/", domain: str | None = None, **kwargs: Any) -> None:
        self.set_cookie(key, "", max_age=0, expires=0, path=path, domain=domain)

    def __repr__(self) -> str:
        return f"<Response {self.status_code} {len(self.data)} bytes>"


def jsonify(*args: Any, **kwargs: Any) -> Response:
    data = args[0] if len(args) == 1 else (list(args) if args else kwargs)
    return Response(json.dumps(data, default=str), mimetype="application/json")


def redirect(location: str, code: int = 302, Response: Any = None) -> Any:  # noqa: N803
    r = _Response(f"<a href='{html.escape(str(location))}'>redirect</a>", code)
    r.headers.set("Location", str(location))
    return r


_Response = Response


def make_response(*args: Any) -> Response:
    if not args:
        return Response()
    rv = args[0] if len(args) == 1 else args
    status = headers = None
    if isinstance(rv, tuple):
        body, *rest = rv
        for extra in rest:
            if isinstance(extra, int | str) and not isinstance(extra, bool) and status is None \
                    and (isinstance(extra, int) or str(extra)[:3].isdigit()):
                status = extra
            else:
                headers = extra
        rv = body
    if isinstance(rv, Response):
        resp = rv
    elif isinstance(rv, dict | list):
        resp = jsonify(rv)
    elif rv is None:
        raise TypeError("The view function did not return a valid response.")
    else:
        resp = Response(rv if isinstance(rv, str | bytes) else list(rv))
    if status is not None:
        resp.status = status  # type: ignore[assignment]
    if headers:
        for k, v in (headers.items() if hasattr(headers, "items") else headers):
            resp.headers.set(k, v)
    return resp


def send_file(path_or_file: Any, mimetype: str | None = None, as_attachment: bool = False,
              download_name: str | None = None, attachment_filename: str | None = None, **kwargs: Any) -> Response:
    if hasattr(path_or_file, "read"):
        data = path_or_file.read()
        name = download_name or attachment_filename or ""
    else:
        with open(path_or_file, "rb") as fh:
            data = fh.read()
        name = download_name or attachment_filename or os.path.basename(str(path_or_file))
    resp = Response(data, mimetype=mimetype or "application/octet-stream")
    if as_attachment:
        resp.headers.set("Content-Disposition", f"attachment; filename={name}")
    return resp


def send_from_directory(directory: Any, path: Any, filename: str | None = None, **kwargs: Any) -> Response:
    app = _state.app or _state.last_app
    directory = os.path.join(app.root_path if app is not None else os.getcwd(), os.fspath(directory))
    joined = safe_join(directory, os.fspath(path))
    if joined is None or not os.path.isfile(joined):
        raise NotFound()
    return send_file(joined, **kwargs)


# ------------------------------------------------------------------------------------------ request state


class Request:
    def __init__(self, app: Flask, method: str, path: str, query: str, headers: Headers, body: bytes,
                 form: MultiDict, files: MultiDict, cookies: dict[str, str]) -> None:
        self.method = method.upper()
        self.path = path
        self.full_path = path + "?" + query
        self.query_string = query.encode()
        self.args = MultiDict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        self.form = form
        self.files = files
        self.headers = headers
        self.cookies = MultiDict(cookies)
        self._body = body
        self.remote_addr = "127.0.0.1"
        self.host = "localhost"
        self.host_url = "http://localhost/"
        self.url = "http://localhost" + path + ("?" + query if query else "")
        self.base_url = "http://localhost" + path
        self.url_root = self.host_url
        self.scheme = "http"
        self.is_secure = False
        self.endpoint: str | None = None
        self.view_args: dict[str, Any] = {}
        self.user_agent = headers.get("User-Agent", "werkzeug-stub")
        self.environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": self.method, "PATH_INFO": path}
        self.content_type = headers.get("Content-Type", "")
        self.mimetype = str(self.content_type).split(";")[0]
        self.content_length = len(body)
        self.access_route = ["127.0.0.1"]

    @property
    def values(self) -> MultiDict:
        return MultiDict(list(self.args.items()) + list(self.form.items()))

    @property
    def data(self) -> bytes:
        return self._body

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> Any:
        return self._body.decode("utf-8", "replace") if as_text else self._body

    @property
    def is_json(self) -> bool:
        return self.mimetype == "application/json" or self.mimetype.endswith("+json")

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            if silent:
                return None
            raise UnsupportedMediaType("Did not attempt to load JSON data")
        try:
            return json.loads(self._body or b"")
        except ValueError:
            if silent:
                return None
            raise BadRequest("Failed to decode JSON object") from None

    @property
    def json(self) -> Any:
        return self.get_json()

    @property
    def stream(self) -> io.BytesIO:
        return io.BytesIO(self._body)


class SessionDict(dict):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modified = False
        self.permanent = False
        self.new = not self

    def _touch(self) -> None:
        self.modified = True

    def __setitem__(self, k: Any, v: Any) -> None:
        self._touch()
        super().__setitem__(k, v)

    def __delitem__(self, k: Any) -> None:
        self._touch()
        super().__delitem__(k)

    def pop(self, *args: Any) -> Any:
        self._touch()
        return super().pop(*args)

    def clear(self) -> None:
        self._touch()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._touch()
        super().update(*args, **kwargs)

    def setdefault(self, k: Any, default: Any = None) -> Any:
        if k not in self:
            self._touch()
        return super().setdefault(k, default)

    def popitem(self) -> Any:
        self._touch()
        return super().popitem()


class _State:
    request: Request | None = None
    session: SessionDict | None = None
    g: Any = None
    app: Flask | None = None
    last_app: Flask | None = None


_state = _State()


class _Proxy:
    def __init__(self, get: Callable[[], Any], name: str) -> None:
        object.__setattr__(self, "_get", get)
        object.__setattr__(self, "_name", name)

    def _obj(self) -> Any:
        obj = object.__getattribute__(self, "_get")()
        if obj is None:
            raise RuntimeError(f"Working outside of request context ({object.__getattribute__(self, '_name')}).")
        return obj

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._obj(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._obj(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._obj()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._obj()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._obj()[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._obj()

    def __iter__(self) -> Any:
        return iter(self._obj())

    def __len__(self) -> int:
        return len(self._obj())

    def __bool__(self) -> bool:
        return bool(object.__getattribute__(self, "_get")())

    def __eq__(self, other: object) -> bool:
        return bool(self._obj() == other)

    def __repr__(self) -> str:
        return repr(self._obj())


request: Any = _Proxy(lambda: _state.request, "request")
session: Any = _Proxy(lambda: _state.session, "session")
g: Any = _Proxy(lambda: _state.g, "g")
current_app: Any = _Proxy(lambda: _state.app or _state.last_app, "current_app")


def flash(message: str, category: str = "message") -> None:
    if _state.session is not None:
        _state.session.setdefault("_flashes", []).append((category, message))
        _state.session.modified = True


def get_flashed_messages(with_categories: bool = False, category_filter: Any = ()) -> list[Any]:
    flashes = _state.session.pop("_flashes", []) if _state.session is not None else []
    return [tuple(f) if with_categories else f[1] for f in flashes]


def _lookup(expr: str, context: dict[str, Any]) -> Any:
    name, *attrs = expr.split(".")
    value = context.get(name, "")
    for a in attrs:
        value = value.get(a, "") if isinstance(value, dict) else getattr(value, a, "")
    return value


def render_template_string(source: str, **context: Any) -> str:
    if "{%" in source or "{#" in source:
        raise WeightwatchStubLimit("the weightwatch flask stub renders only {{ name }} expressions, no {% %} tags")
    context = {"request": request, "session": session, "g": g, **context}

    def sub(m: re.Match[str]) -> str:
        expr, *filters = [p.strip() for p in m.group(1).split("|")]
        if not re.fullmatch(r"[A-Za-z_]\w*(\.\w+)*", expr) or any(f not in ("safe", "e", "escape") for f in filters):
            raise WeightwatchStubLimit(f"the weightwatch flask stub cannot render {{{{ {m.group(1)} }}}}")
        value = _lookup(expr, context)
        return str(value) if "safe" in filters else str(escape(value))

    return re.sub(r"\{\{(.*?)\}\}", sub, source)


class TemplateNotFound(Exception):
    pass


def render_template(name: str, **context: Any) -> str:
    path = os.path.join("templates", name)
    if not os.path.isfile(path):
        raise TemplateNotFound(name)
    with open(path, encoding="utf-8") as fh:
        return render_template_string(fh.read(), **context)


# ------------------------------------------------------------------------------------------ app


class Config(dict):  # type: ignore[type-arg]
    def from_mapping(self, *args: Any, **kwargs: Any) -> None:
        self.update(*args, **kwargs)

    def from_object(self, obj: Any) -> None:
        for k in dir(obj):
            if k.isupper():
                self[k] = getattr(obj, k)


def _rule_regex(rule: str) -> tuple[re.Pattern[str], list[tuple[str, Callable[[str], Any]]]]:
    conv: list[tuple[str, Callable[[str], Any]]] = []
    out = ""
    pos = 0
    for m in re.finditer(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule):
        out += re.escape(rule[pos:m.start()])
        kind = m.group(1) or "string"
        out += {"int": r"(\d+)", "float": r"(\d+\.\d+)", "path": r"(.+)"}.get(kind, r"([^/]+)")
        conv.append((m.group(2), {"int": int, "float": float}.get(kind, str)))
        pos = m.end()
    out += re.escape(rule[pos:])
    return re.compile("^" + out + "/?$" if not rule.endswith("/") else "^" + out + "?$"), conv


class Blueprint:
    def __init__(self, name: str, import_name: str = "", url_prefix: str | None = None, **kwargs: Any) -> None:
        self.name = name
        self.url_prefix = url_prefix or ""
        self.deferred: list[tuple[str, str, Callable[..., Any], list[str]]] = []
        self.before: list[Callable[[], Any]] = []

    def route(self, rule: str, methods: Iterable[str] | None = None, endpoint: str | None = None,
              **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.deferred.append((rule, endpoint or fn.__name__, fn, [m.upper() for m in (methods or ["GET"])]))
            return fn
        return deco

    def get(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["GET"], **kw)

    def post(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["POST"], **kw)

    def before_request(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        self.before.append(fn)
        return fn


class Flask:
    testing = False

    def __init__(self, import_name: str = "app", static_folder: Any = "static", template_folder: Any = "templates",
                 **kwargs: Any) -> None:
        self.import_name = import_name
        self.name = import_name
        self.root_path = os.getcwd()  # relative paths (send_from_directory) are resolved against it
        self.static_folder = static_folder
        self.template_folder = template_folder
        self.config = Config({"SECRET_KEY": None, "MAX_CONTENT_LENGTH": None, "SESSION_COOKIE_NAME": "session",
                              "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SECURE": False, "DEBUG": False,
                              "TESTING": False, "PERMANENT_SESSION_LIFETIME": 31 * 24 * 3600})
        self.rules: list[tuple[str, re.Pattern[str], list[tuple[str, Callable[[str], Any]]], str, list[str]]] = []
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.before: list[Callable[[], Any]] = []
        self.after: list[Callable[[Any], Any]] = []
        self.teardown: list[Callable[..., Any]] = []
        self.error_handlers: dict[Any, Callable[[Any], Any]] = {}
        self.logger = logging.getLogger(import_name)
        self.debug = False
        self.jinja_env = types.SimpleNamespace(globals={}, filters={}, autoescape=True)
        self.extensions: dict[str, Any] = {}
        _state.last_app = self

    @property
    def secret_key(self) -> Any:
        return self.config.get("SECRET_KEY")

    @secret_key.setter
    def secret_key(self, value: Any) -> None:
        self.config["SECRET_KEY"] = value

    def add_url_rule(self, rule: str, endpoint: str | None = None, view_func: Callable[..., Any] | None = None,
                     methods: Iterable[str] | None = None, **options: Any) -> None:
        if view_func is None:
            return
        endpoint = endpoint or view_func.__name__
        ms = [m.upper() for m in (methods or ["GET"])]
        if "GET" in ms and "HEAD" not in ms:
            ms.append("HEAD")
        regex, conv = _rule_regex(rule)
        self.rules.append((rule, regex, conv, endpoint, ms))
        self.view_functions[endpoint] = view_func

    def route(self, rule: str, methods: Iterable[str] | None = None, endpoint: str | None = None,
              **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add_url_rule(rule, endpoint, fn, methods)
            return fn
        return deco

    def get(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["GET"], **kw)

    def post(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["POST"], **kw)

    def put(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["PUT"], **kw)

    def delete(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["DELETE"], **kw)

    def patch(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, methods=["PATCH"], **kw)

    def register_blueprint(self, bp: Blueprint, url_prefix: str | None = None, **kwargs: Any) -> None:
        prefix = url_prefix if url_prefix is not None else bp.url_prefix
        for rule, endpoint, fn, methods in bp.deferred:
            self.add_url_rule(prefix.rstrip("/") + rule, f"{bp.name}.{endpoint}", fn, methods)
        self.before.extend(bp.before)

    def before_request(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        self.before.append(fn)
        return fn

    def after_request(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        self.after.append(fn)
        return fn

    def teardown_request(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.teardown.append(fn)
        return fn

    teardown_appcontext = teardown_request

    def context_processor(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return fn

    def template_filter(self, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return lambda fn: fn

    def errorhandler(self, key: Any) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        def deco(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.error_handlers[key] = fn
            return fn
        return deco

    def register_error_handler(self, key: Any, fn: Callable[[Any], Any]) -> None:
        self.error_handlers[key] = fn

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Never serves: the functional test drives the app through test_client()."""

    def test_client(self, *args: Any, **kwargs: Any) -> Client:
        return Client(self)

    def app_context(self) -> Any:
        return _Ctx(self, None)

    def test_request_context(self, path: str = "/", method: str = "GET", **kwargs: Any) -> Any:
        return _Ctx(self, _build_request(self, method, path, kwargs.get("data"), kwargs.get("json"),
                                         kwargs.get("headers"), kwargs.get("query_string"), {}))

    def make_response(self, rv: Any) -> Response:
        return make_response(rv)

    def url_for(self, endpoint: str, **values: Any) -> str:
        return url_for(endpoint, **values)

    # -- dispatch
    def _handle_error(self, exc: BaseException) -> Response:
        for key, fn in self.error_handlers.items():
            if (isinstance(exc, HTTPException) and key == exc.code) or (isinstance(key, type)
                                                                          and isinstance(exc, key)):
                return make_response(fn(exc))
        if isinstance(exc, HTTPException):
            return exc.response if isinstance(exc.response, Response) else exc.get_response()
        traceback.print_exception(exc, file=sys.stderr)
        return Response("<h1>500 Internal Server Error</h1>", 500)

    def _dispatch(self, req: Request) -> Response:
        try:
            max_len = self.config.get("MAX_CONTENT_LENGTH")
            if max_len is not None and len(req.data) > int(max_len):
                raise RequestEntityTooLarge()
            for fn in self.before:
                rv = fn()
                if rv is not None:
                    return make_response(rv)
            allowed = False
            for _rule, regex, conv, endpoint, methods in self.rules:
                m = regex.match(req.path)
                if not m:
                    continue
                allowed = True
                if req.method not in methods and req.method != "OPTIONS":
                    continue
                kwargs = {name: fn(v) for (name, fn), v in zip(conv, m.groups(), strict=False)}
                req.endpoint, req.view_args = endpoint, kwargs
                return make_response(self.view_functions[endpoint](**kwargs))
            raise MethodNotAllowed() if allowed else NotFound()
        except Exception as exc:  # noqa: BLE001 - a view's error becomes a 500 like in Flask
            return self._handle_error(exc)

    # -- session cookie
    def _signer(self) -> bytes | None:
        key = self.secret_key
        if not key:
            return None
        return key if isinstance(key, bytes) else str(key).encode()

    def _load_session(self, cookie: str | None) -> SessionDict:
        key = self._signer()
        if cookie and key and "." in cookie:
            payload, sig = cookie.rsplit(".", 1)
            good = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(good, sig):
                try:
                    return SessionDict(json.loads(base64.urlsafe_b64decode(payload.encode())))
                except ValueError:
                    pass
        return SessionDict()

    def _save_session(self, sess: SessionDict, resp: Response) -> None:
        if not sess.modified:
            return
        key = self._signer()
        if key is None:
            raise RuntimeError("The session is unavailable because no secret key was set. Set the secret_key "
                               "on the application to something unique and secret.")
        name = self.config.get("SESSION_COOKIE_NAME", "session")
        if not sess:
            resp.delete_cookie(name)
            return
        payload = base64.urlsafe_b64encode(json.dumps(dict(sess), default=str).encode()).decode()
        sig = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
        resp.set_cookie(name, f"{payload}.{sig}", httponly=bool(self.config.get("SESSION_COOKIE_HTTPONLY")),
                        secure=bool(self.config.get("SESSION_COOKIE_SECURE")))


class _Ctx:
    def __init__(self, app: Flask, req: Request | None) -> None:
        self.app, self.req = app, req

    def __enter__(self) -> Any:
        self.saved = (_state.app, _state.request, _state.session, _state.g)
        _state.app, _state.request, _state.g = self.app, self.req, types.SimpleNamespace()
        _state.session = SessionDict()
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.app, _state.request, _state.session, _state.g = self.saved

    def push(self) -> None:
        self.__enter__()

    def pop(self) -> None:
        self.__exit__()


def url_for(endpoint: str, **values: Any) -> str:
    app = _state.app or _state.last_app
    values = {k: v for k, v in values.items() if not k.startswith("_")}
    if endpoint == "static":
        return "/static/" + str(values.pop("filename", ""))
    if app is not None:
        if endpoint.startswith(".") and _state.request is not None and _state.request.endpoint:
            endpoint = _state.request.endpoint.rsplit(".", 1)[0] + endpoint
        for rule, _regex, conv, ep, _methods in app.rules:
            if ep == endpoint or ep.rsplit(".", 1)[-1] == endpoint:
                path = rule
                for name, _ in conv:
                    path = re.sub(r"<(?:[\w()]+:)?" + name + ">", urllib.parse.quote(str(values.pop(name, ""))), path)
                return path + ("?" + urllib.parse.urlencode(values) if values else "")
    raise RuntimeError(f"Could not build url for endpoint {endpoint!r}.")


def _build_request(app: Flask, method: str, path: str, data: Any, json_body: Any, headers: Any,
                   query_string: Any, cookies: dict[str, str], content_type: str | None = None) -> Request:
    hdrs = headers if isinstance(headers, Headers) else Headers(headers)
    if "?" in path:
        path, query = path.split("?", 1)
    else:
        query = ""
    if query_string:
        extra = query_string if isinstance(query_string, str) else urllib.parse.urlencode(query_string, doseq=True)
        query = (query + "&" if query else "") + extra
    form, files, body = MultiDict(), MultiDict(), b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        hdrs.set("Content-Type", "application/json")
    elif isinstance(data, dict):
        pairs, fpairs = [], []
        for k, v in data.items():
            for one in (v if isinstance(v, list) else [v]):
                if isinstance(one, FileStorage):
                    fpairs.append((k, one))
                elif isinstance(one, tuple):  # (stream or bytes, filename[, content type]) like werkzeug
                    fpairs.append((k, FileStorage(one[0], filename=one[1], name=k,
                                                  content_type=one[2] if len(one) > 2 else None)))
                else:
                    pairs.append((k, str(one)))
        form, files = MultiDict(pairs), MultiDict(fpairs)
        body = urllib.parse.urlencode(pairs).encode()
        hdrs.setdefault("Content-Type", "multipart/form-data" if fpairs else "application/x-www-form-urlencoded")
    elif data is not None:
        body = data.encode() if isinstance(data, str) else bytes(data)
        if content_type:
            hdrs.set("Content-Type", content_type)
    if content_type and "Content-Type" not in hdrs:
        hdrs.set("Content-Type", content_type)
    return Request(app, method, path, query, hdrs, body, form, files, cookies)


class Client:
    """app.test_client(): keeps cookies between requests like a browser (ignores Path and Secure)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def set_cookie(self, key: str, value: str = "", *args: Any, **kwargs: Any) -> None:
        self.cookies[key] = value

    def delete_cookie(self, key: str, *args: Any, **kwargs: Any) -> None:
        self.cookies.pop(key, None)

    def get_cookie(self, key: str, *args: Any, **kwargs: Any) -> Any:
        return types.SimpleNamespace(key=key, value=self.cookies[key]) if key in self.cookies else None

    def open(self, path: str = "/", method: str = "GET", data: Any = None, json: Any = None, headers: Any = None,
             query_string: Any = None, content_type: str | None = None, follow_redirects: bool = False,
             **kwargs: Any) -> Response:
        req = _build_request(self.app, method, path, data, json, headers, query_string, dict(self.cookies),
                             content_type)
        saved = (_state.app, _state.request, _state.session, _state.g)
        _state.app, _state.request, _state.g = self.app, req, types.SimpleNamespace()
        _state.session = self.app._load_session(self.cookies.get(self.app.config.get("SESSION_COOKIE_NAME",
                                                                                       "session")))
        try:
            resp = self.app._dispatch(req)
            for fn in self.app.after:
                resp = fn(resp) or resp
            self.app._save_session(_state.session, resp)
            for fn in self.app.teardown:
                fn(None)
        finally:
            _state.app, _state.request, _state.session, _state.g = saved
        self.set_cookie_headers = resp.headers.getlist("Set-Cookie")
        for header in self.set_cookie_headers:
            first, *attrs = [p.strip() for p in header.split(";")]
            key, _, value = first.partition("=")
            low = [a.lower() for a in attrs]
            if "max-age=0" in low or any(a.startswith("expires=0") or "1970" in a for a in low):
                self.cookies.pop(key, None)
            else:
                self.cookies[key] = value
        if follow_redirects and resp.status_code in (301, 302, 303, 307, 308) and resp.location:
            target = urllib.parse.urlsplit(resp.location)
            keep = method if resp.status_code in (307, 308) else "GET"
            return self.open(target.path + ("?" + target.query if target.query else ""), keep,
                             follow_redirects=True)
        return resp

    def get(self, path: str = "/", **kw: Any) -> Response:
        return self.open(path, "GET", **kw)

    def post(self, path: str = "/", **kw: Any) -> Response:
        return self.open(path, "POST", **kw)

    def put(self, path: str = "/", **kw: Any) -> Response:
        return self.open(path, "PUT", **kw)

    def delete(self, path: str = "/", **kw: Any) -> Response:
        return self.open(path, "DELETE", **kw)

    def patch(self, path: str = "/", **kw: Any) -> Response:
        return self.open(path, "PATCH", **kw)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def find_app(namespace: dict[str, Any]) -> Flask:
    """The answer's app: a Flask object among the names, else one made by a create_app()/make_app()."""
    apps = [v for v in list(namespace.values()) if isinstance(v, Flask)]
    if apps:
        return apps[0]
    for name in ("create_app", "make_app", "build_app", "get_app"):
        fn = namespace.get(name)
        if callable(fn):
            app = fn()
            if isinstance(app, Flask):
                return app
    if _state.last_app is not None:
        return _state.last_app
    raise AssertionError("the answer defines no Flask app")


# ------------------------------------------------------------------------------------------ install


def _module(name: str, attrs: dict[str, Any]) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)

    def missing(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise WeightwatchStubLimit(f"the weightwatch stub of {name} has no {attr!r}")

    mod.__getattr__ = missing  # type: ignore[method-assign]
    return mod


def install() -> None:
    exc = {"HTTPException": HTTPException, "BadRequest": BadRequest, "Unauthorized": Unauthorized,
           "Forbidden": Forbidden, "NotFound": NotFound, "MethodNotAllowed": MethodNotAllowed, "Conflict": Conflict,
           "RequestEntityTooLarge": RequestEntityTooLarge, "UnsupportedMediaType": UnsupportedMediaType,
           "TooManyRequests": TooManyRequests, "InternalServerError": InternalServerError, "abort": abort}
    ds = {"MultiDict": MultiDict, "ImmutableMultiDict": MultiDict, "Headers": Headers, "FileStorage": FileStorage}
    security = {"generate_password_hash": generate_password_hash, "check_password_hash": check_password_hash,
                "safe_join": safe_join}
    utils = {"secure_filename": secure_filename, "redirect": redirect, "send_file": send_file,
             "send_from_directory": send_from_directory}
    markup = {"Markup": Markup, "escape": escape}
    flask = {"Flask": Flask, "Blueprint": Blueprint, "request": request, "session": session, "g": g,
             "current_app": current_app, "Response": Response, "make_response": make_response, "jsonify": jsonify,
             "redirect": redirect, "url_for": url_for, "abort": abort, "send_file": send_file,
             "send_from_directory": send_from_directory, "flash": flash, "get_flashed_messages": get_flashed_messages,
             "render_template_string": render_template_string, "render_template": render_template,
             "escape": escape, "Markup": Markup, "Request": Request, "Config": Config, "find_app": find_app,
             "WeightwatchStubLimit": WeightwatchStubLimit, "__version__": "3.0-weightwatch-stub"}
    mods = {"flask": _module("flask", flask), "werkzeug": _module("werkzeug", {"__version__": "3.0-stub"}),
            "werkzeug.utils": _module("werkzeug.utils", utils),
            "werkzeug.security": _module("werkzeug.security", security),
            "werkzeug.exceptions": _module("werkzeug.exceptions", exc),
            "werkzeug.datastructures": _module("werkzeug.datastructures", ds),
            "markupsafe": _module("markupsafe", markup)}
    for sub in ("utils", "security", "exceptions", "datastructures"):
        setattr(mods["werkzeug"], sub, mods[f"werkzeug.{sub}"])
    mods["werkzeug"].secure_filename = secure_filename  # type: ignore[attr-defined]
    sys.modules.update(mods)
