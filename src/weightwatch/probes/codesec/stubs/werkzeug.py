# mypy: ignore-errors
"""A fake of parts of `werkzeug` (installed as ``werkzeug`` in the sandbox): secure_filename, password
hashing, HTTP exceptions, MultiDict, Headers and FileStorage (used by the fake ``flask``)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import re
import secrets
import shutil
import sys
import types
import unicodedata


class HTTPException(Exception):
    code = 500
    description = ""

    def __init__(self, description=None, response=None):
        super().__init__(description or self.description)
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self):
        return http.client.responses.get(self.code, "Error")

    def __str__(self):
        return f"{self.code} {self.name}: {self.description}"


def _exc(name, code):
    cls = type(name, (HTTPException,), {"code": code, "description": http.client.responses.get(code, "")})
    globals()[name] = cls
    return cls


_EXCEPTIONS = {code: _exc(name, code) for name, code in [
    ("BadRequest", 400), ("Unauthorized", 401), ("Forbidden", 403), ("NotFound", 404), ("MethodNotAllowed", 405),
    ("NotAcceptable", 406), ("Conflict", 409), ("Gone", 410), ("RequestEntityTooLarge", 413),
    ("UnsupportedMediaType", 415), ("UnprocessableEntity", 422), ("TooManyRequests", 429),
    ("InternalServerError", 500), ("BadGateway", 502), ("ServiceUnavailable", 503), ("GatewayTimeout", 504)]}


def abort(status, *args, **kw):
    if not isinstance(status, int):  # a response object
        raise HTTPException(response=status)
    cls = _EXCEPTIONS.get(status)
    if cls is None:
        cls = type("HTTPException", (HTTPException,), {"code": status})
    raise cls(*args, **kw)


class MultiDict(dict):
    """First value per key (as dict), all values with getlist()."""

    def __init__(self, items=()):
        super().__init__()
        self._all = {}
        pairs = items.items() if hasattr(items, "items") else items
        for k, v in pairs:
            self.add(k, v)

    def add(self, k, v):
        self._all.setdefault(k, []).append(v)
        if k not in self:
            super().__setitem__(k, v)

    def getlist(self, k, type=None):
        vals = self._all.get(k, [])
        return [type(v) for v in vals] if type else list(vals)

    def get(self, k, default=None, type=None):
        if k not in self:
            return default
        if type is None:
            return self[k]
        try:
            return type(self[k])
        except (ValueError, TypeError):
            return default

    def to_dict(self, flat=True):
        return dict(self) if flat else {k: list(v) for k, v in self._all.items()}


ImmutableMultiDict = CombinedMultiDict = MultiDict


class Headers:
    def __init__(self, items=()):
        self._items = []
        pairs = items.items() if hasattr(items, "items") else items
        for k, v in pairs or ():
            self.add(k, v)

    def add(self, k, v):
        self._items.append((str(k), str(v)))

    def set(self, k, v):
        self.remove(k)
        self.add(k, v)

    __setitem__ = set

    def remove(self, k):
        self._items = [(a, b) for a, b in self._items if a.lower() != str(k).lower()]

    __delitem__ = remove

    def get(self, k, default=None, type=None):
        for a, b in self._items:
            if a.lower() == str(k).lower():
                return type(b) if type else b
        return default

    def getlist(self, k):
        return [b for a, b in self._items if a.lower() == str(k).lower()]

    get_all = getlist

    def __getitem__(self, k):
        v = self.get(k)
        if v is None:
            raise KeyError(k)
        return v

    def __contains__(self, k):
        return self.get(k) is not None

    def setdefault(self, k, v):
        if k not in self:
            self.add(k, v)
        return self.get(k)

    def update(self, other=(), **kw):
        pairs = other.items() if hasattr(other, "items") else other
        for k, v in list(pairs) + list(kw.items()):
            self.set(k, v)

    def extend(self, other):
        pairs = other.items() if hasattr(other, "items") else other
        for k, v in pairs:
            self.add(k, v)

    def items(self):
        return list(self._items)

    def keys(self):
        return [a for a, _ in self._items]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"Headers({self._items!r})"


class FileStorage:
    def __init__(self, stream=None, filename=None, name=None, content_type=None, headers=None):
        import io
        self.stream = stream if stream is not None else io.BytesIO()
        self.filename = filename
        self.name = name
        self.content_type = content_type or "application/octet-stream"
        self.mimetype = self.content_type.split(";")[0]
        self.headers = headers or Headers()

    def save(self, dst, buffer_size=16384):
        if isinstance(dst, str | os.PathLike):
            with open(dst, "wb") as fh:
                shutil.copyfileobj(self.stream, fh, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def read(self, *a):
        return self.stream.read(*a)

    def seek(self, *a):
        return self.stream.seek(*a)

    def tell(self):
        return self.stream.tell()

    def __bool__(self):
        return bool(self.filename)


_FILENAME_ASCII_STRIP_RE = re.compile(r"[^A-Za-z0-9_.-]")
_WINDOWS_DEVICE_FILES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def secure_filename(filename):
    filename = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    for sep in (os.sep, os.path.altsep):
        if sep:
            filename = filename.replace(sep, " ")
    filename = str(_FILENAME_ASCII_STRIP_RE.sub("", "_".join(filename.split()))).strip("._")
    if os.name == "nt" and filename and filename.split(".")[0].upper() in _WINDOWS_DEVICE_FILES:
        filename = f"_{filename}"
    return filename


def safe_join(directory, *pathnames):
    parts = [directory]
    for p in pathnames:
        if p != "":
            p = p.replace("\\", "/")
        if os.path.isabs(p) or p == ".." or p.startswith("../") or "/../" in p or p.endswith("/.."):
            return None
        parts.append(p)
    return os.path.join(*parts)


def generate_password_hash(password, method="pbkdf2:sha256:600000", salt_length=16):
    salt = secrets.token_hex(salt_length // 2 or 1)
    parts = method.split(":")
    if parts[0] == "scrypt":
        n, r, p = (int(x) for x in (parts[1:] or ["32768", "8", "1"]))
        digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
        method = f"scrypt:{n}:{r}:{p}"
    elif parts[0] == "pbkdf2":
        algo = parts[1] if len(parts) > 1 else "sha256"
        rounds = int(parts[2]) if len(parts) > 2 else 600000
        digest = hashlib.pbkdf2_hmac(algo, password.encode(), salt.encode(), rounds).hex()
        method = f"pbkdf2:{algo}:{rounds}"
    else:
        raise ValueError(f"Invalid hash method '{method}'.")
    return f"{method}${salt}${digest}"


def check_password_hash(pwhash, password):
    try:
        method, salt, digest = pwhash.split("$", 2)
    except ValueError:
        return False
    parts = method.split(":")
    if parts[0] == "scrypt":
        n, r, p = (int(x) for x in parts[1:])
        got = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    elif parts[0] == "pbkdf2":
        got = hashlib.pbkdf2_hmac(parts[1], password.encode(), salt.encode(), int(parts[2])).hex()
    else:
        return False
    return hmac.compare_digest(got, digest)


def _submodule(name, *names):
    mod = types.ModuleType("werkzeug." + name)
    g = globals()
    mod.__dict__.update({n: g[n] for n in names})
    sys.modules[mod.__name__] = mod
    g[name] = mod


_submodule("exceptions", "HTTPException", "abort", *[c.__name__ for c in _EXCEPTIONS.values()])
_submodule("utils", "secure_filename", "safe_join")
_submodule("security", "generate_password_hash", "check_password_hash", "safe_join")
_submodule("datastructures", "MultiDict", "ImmutableMultiDict", "CombinedMultiDict", "Headers", "FileStorage")
__version__ = "3.0.3"
