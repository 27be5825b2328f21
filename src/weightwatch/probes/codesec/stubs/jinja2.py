# mypy: ignore-errors
"""A fake of a subset of Jinja2 (installed as ``jinja2`` in the sandbox).

Supported: ``{{ expression | filter(args) }}``, ``{% for x in xs %}`` (with ``loop`` and ``else``),
``{% if %}/{% elif %}/{% else %}``, ``{% set x = ... %}``, ``{# comments #}``, ``-`` whitespace control,
autoescape as Jinja2 does it (off by default for ``Template``/``Environment``, a callable such as
``select_autoescape()`` decides per template). Expressions are Python expressions in which ``a.b``
and ``a['b']`` both look up attributes or items; ``true``/``false``/``none`` and ``x is defined`` work.
Anything else (macros, inheritance, include, unknown filters) raises ModuleNotFoundError: untestable.
"""

from __future__ import annotations

import ast
import json
import os
import re

from markupsafe import Markup, escape


def _unsupported(what):
    return ModuleNotFoundError(f"weightwatch stub: jinja2 {what} is not supported by the test fake")


class TemplateError(Exception):
    pass


class TemplateSyntaxError(TemplateError):
    pass


class TemplateNotFound(TemplateError, OSError):
    pass


class UndefinedError(TemplateError):
    pass


class Undefined:
    def __init__(self, name=""):
        self._name = name

    def __str__(self):
        return ""

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __len__(self):
        return 0

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Undefined(name)

    def __getitem__(self, key):
        return Undefined(str(key))

    def __eq__(self, other):
        return isinstance(other, Undefined)

    def __hash__(self):
        return 0


class StrictUndefined(Undefined):
    def __str__(self):
        raise UndefinedError(f"'{self._name}' is undefined")


ChainableUndefined = DebugUndefined = Undefined


def _get(obj, name):
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        return Undefined(name)


def _item(obj, key):
    try:
        return obj[key]
    except (TypeError, LookupError, AttributeError):
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        return Undefined(str(key))


class _Rewrite(ast.NodeTransformer):
    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load):
            return ast.Call(ast.Name("__ww_get", ast.Load()), [node.value, ast.Constant(node.attr)], [])
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and not isinstance(node.slice, ast.Slice):
            return ast.Call(ast.Name("__ww_item", ast.Load()), [node.value, node.slice], [])
        return node


def _split_top(text, sep):
    out, depth, quote, cur = [], 0, None, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            cur += ch
            if ch == "\\" and i + 1 < len(text):
                cur += text[i + 1]
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur += ch
        elif ch in "([{":
            depth += 1
            cur += ch
        elif ch in ")]}":
            depth -= 1
            cur += ch
        elif depth == 0 and text.startswith(sep, i):
            out.append(cur)
            cur = ""
            i += len(sep)
            continue
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out


def _compile_py(expr):
    expr = expr.strip()
    m = re.fullmatch(r"(.+?)\s+is\s+(not\s+)?(defined|undefined|none)", expr, re.S)
    if m:
        inner = _compile_py(m.group(1))
        test = {"defined": lambda v: not isinstance(v, Undefined), "undefined": lambda v: isinstance(v, Undefined),
                "none": lambda v: v is None}[m.group(3)]
        neg = bool(m.group(2))
        return lambda ns: test(inner(ns)) != neg
    if "~" in expr:
        parts = _split_top(expr, "~")
        if len(parts) > 1:
            subs = [_compile_py(p) for p in parts]
            return lambda ns: "".join(str(s(ns)) for s in subs)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise _unsupported(f"expression {expr!r}") from None
    tree = ast.fix_missing_locations(_Rewrite().visit(tree))
    code = compile(tree, "<template>", "eval")
    return lambda ns: eval(code, {"__builtins__": {}, "__ww_get": _get, "__ww_item": _item}, ns)


def _filter_fn(env, name):
    f = env.filters.get(name)
    if f is None:
        raise _unsupported(f"filter {name!r}")
    return f


def _compile_expr(env, text):
    parts = _split_top(text, "|")
    base = _compile_py(parts[0])
    chain = []
    for p in parts[1:]:
        m = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", p, re.S)
        if not m:
            raise _unsupported(f"filter {p!r}")
        fn = _filter_fn(env, m.group(1))
        args = _compile_py(f"({m.group(2)},)") if m.group(2) and m.group(2).strip() else None
        chain.append((fn, args, m.group(1)))

    def run(ns):
        value = base(ns)
        for fn, args, name in chain:
            extra = args(ns) if args else ()
            value = fn(value, *extra) if name not in ("e", "escape", "safe") else fn(value)
        return value
    return run


_CONSTANTS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


class _Namespace(dict):
    parents: list = []

    def __missing__(self, key):
        if key.startswith("__ww_"):
            raise KeyError(key)
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        for scope in self.parents:
            if key in scope:
                return scope[key]
        return Undefined(key)


def _ns(parents):
    n = _Namespace()
    n.parents = parents
    return n


_TOKEN = re.compile(r"(\{\{-?.*?-?\}\}|\{%-?.*?-?%\}|\{#.*?#\})", re.S)


def _parse(env, source):
    pieces = _TOKEN.split(source)
    # whitespace control: "-" strips the whitespace on that side
    for i, p in enumerate(pieces):
        if i % 2 == 1:
            if p[2:3] == "-" and i > 0:
                pieces[i - 1] = pieces[i - 1].rstrip()
            if p[-3:-2] == "-" and i + 1 < len(pieces):
                pieces[i + 1] = pieces[i + 1].lstrip()
    root = []
    stack = [("root", root, None)]
    for i, p in enumerate(pieces):
        body = stack[-1][1]
        if i % 2 == 0:
            if p:
                body.append(("text", p))
            continue
        if p.startswith("{#"):
            continue
        inner = p[2:-2].strip("-").strip()
        if p.startswith("{{"):
            body.append(("out", _compile_expr(env, inner)))
            continue
        word = inner.split(None, 1)[0] if inner else ""
        rest = inner[len(word):].strip()
        if word == "for":
            m = re.fullmatch(r"(.+?)\s+in\s+(.+)", rest, re.S)
            if not m or " if " in m.group(2) or m.group(2).rstrip().endswith("recursive"):
                raise _unsupported(f"for {rest!r}")
            targets = [t.strip() for t in m.group(1).split(",")]
            node = {"kind": "for", "targets": targets, "iter": _compile_expr(env, m.group(2)), "body": [],
                    "else": []}
            body.append(("for", node))
            stack.append(("for", node["body"], node))
        elif word == "if":
            node = {"kind": "if", "branches": [(_compile_expr(env, rest), [])], "else": None}
            body.append(("if", node))
            stack.append(("if", node["branches"][0][1], node))
        elif word == "elif":
            kind, _, node = stack.pop()
            if kind != "if":
                raise TemplateSyntaxError("elif outside if")
            node["branches"].append((_compile_expr(env, rest), []))
            stack.append(("if", node["branches"][-1][1], node))
        elif word == "else":
            kind, _, node = stack.pop()
            if kind == "if":
                node["else"] = []
                stack.append(("if", node["else"], node))
            elif kind == "for":
                stack.append(("for", node["else"], node))
            else:
                raise TemplateSyntaxError("else outside if/for")
        elif word in ("endif", "endfor"):
            kind, _, _node = stack.pop()
            if kind != word[3:]:
                raise TemplateSyntaxError(f"unexpected {word}")
        elif word == "set":
            m = re.fullmatch(r"(\w+)\s*=\s*(.+)", rest, re.S)
            if not m:
                raise _unsupported(f"set {rest!r}")
            body.append(("set", (m.group(1), _compile_expr(env, m.group(2)))))
        else:
            raise _unsupported(f"tag {word!r}")
    if len(stack) != 1:
        raise TemplateSyntaxError("unclosed block")
    return root


class _Loop:
    def __init__(self, index0, length):
        self.index0, self.length = index0, length
        self.index = index0 + 1
        self.first = index0 == 0
        self.last = index0 == length - 1
        self.revindex = length - index0
        self.revindex0 = length - index0 - 1


def _render(nodes, ns, autoescape, out):
    for kind, node in nodes:
        if kind == "text":
            out.append(node)
        elif kind == "out":
            value = node(ns)
            if hasattr(value, "__html__"):
                out.append(str(value.__html__()))
            elif autoescape:
                out.append(str(escape(value)))
            else:
                out.append(str(value))
        elif kind == "set":
            ns[node[0]] = node[1](ns)
        elif kind == "if":
            for cond, body in node["branches"]:
                if cond(ns):
                    _render(body, ns, autoescape, out)
                    break
            else:
                if node["else"]:
                    _render(node["else"], ns, autoescape, out)
        elif kind == "for":
            items = list(node["iter"](ns))
            if not items:
                _render(node["else"], ns, autoescape, out)
            for i, item in enumerate(items):
                inner = _ns([ns] + ns.parents)
                if len(node["targets"]) == 1:
                    inner[node["targets"][0]] = item
                else:
                    for name, v in zip(node["targets"], item, strict=False):
                        inner[name] = v
                inner["loop"] = _Loop(i, len(items))
                _render(node["body"], inner, autoescape, out)


def _default(value, default="", boolean=False):
    return default if isinstance(value, Undefined) or (boolean and not value) else value


def _truncate(s, length=255, killwords=False, end="...", leeway=None):
    s = str(s)
    return s if len(s) <= length else s[: max(0, length - len(end))] + end


DEFAULT_FILTERS = {
    "e": escape, "escape": escape, "safe": lambda v: Markup(str(v)),
    "length": len, "count": len, "upper": lambda v: str(v).upper(), "lower": lambda v: str(v).lower(),
    "title": lambda v: str(v).title(), "capitalize": lambda v: str(v).capitalize(),
    "trim": lambda v, chars=None: str(v).strip(chars), "default": _default, "d": _default,
    "join": lambda v, d="": d.join(str(x) for x in v), "int": lambda v, default=0: _to(int, v, default),
    "float": lambda v, default=0.0: _to(float, v, default), "string": str, "round": lambda v, p=0: round(v, p),
    "replace": lambda v, a, b, n=-1: str(v).replace(a, b, n), "truncate": _truncate,
    "striptags": lambda v: Markup(str(v)).striptags(), "first": lambda v: next(iter(v)),
    "last": lambda v: list(v)[-1], "list": list, "sort": lambda v, reverse=False: sorted(v, reverse=reverse),
    "tojson": lambda v, indent=None: Markup(json.dumps(v, indent=indent).replace("<", "\\u003c")
                                            .replace(">", "\\u003e").replace("&", "\\u0026")
                                            .replace("'", "\\u0027")),
    "urlencode": lambda v: __import__("urllib.parse").parse.quote(str(v)),
    "format": lambda v, *a, **k: str(v) % (a or k), "abs": abs, "sum": sum, "unique": lambda v: list(dict.fromkeys(v)),
    "nl2br": lambda v: Markup(str(escape(v)).replace("\n", "<br>\n")),
}


def _to(kind, v, default):
    try:
        return kind(v)
    except (TypeError, ValueError):
        return default


def select_autoescape(enabled_extensions=("html", "htm", "xml"), disabled_extensions=(), default_for_string=True,
                      default=False):
    enabled = tuple("." + e.lstrip(".").lower() for e in enabled_extensions)
    disabled = tuple("." + e.lstrip(".").lower() for e in disabled_extensions)

    def decide(name):
        if name is None:
            return default_for_string
        name = name.lower()
        if name.endswith(enabled):
            return True
        if name.endswith(disabled):
            return False
        return default
    return decide


class BaseLoader:
    def get_source(self, environment, name):
        raise TemplateNotFound(name)


class DictLoader(BaseLoader):
    def __init__(self, mapping):
        self.mapping = mapping

    def get_source(self, environment, name):
        if name not in self.mapping:
            raise TemplateNotFound(name)
        return self.mapping[name]


class FileSystemLoader(BaseLoader):
    def __init__(self, searchpath, encoding="utf-8", followlinks=False):
        self.searchpath = [searchpath] if isinstance(searchpath, str | os.PathLike) else list(searchpath)
        self.encoding = encoding

    def get_source(self, environment, name):
        for base in self.searchpath:
            path = os.path.join(base, *[p for p in name.split("/") if p and p != ".."])
            if os.path.isfile(path):
                with open(path, encoding=self.encoding) as fh:
                    return fh.read()
        raise TemplateNotFound(name)


class PackageLoader(BaseLoader):
    def __init__(self, *args, **kw):
        raise _unsupported("PackageLoader")


class Environment:
    def __init__(self, loader=None, autoescape=False, undefined=Undefined, **kw):
        self.loader = loader
        self.autoescape = autoescape
        self.undefined = undefined
        self.filters = dict(DEFAULT_FILTERS)
        self.globals = {"range": range, "dict": dict, "lipsum": lambda *a, **k: "", "len": len}
        self.tests = {}
        for name in ("extensions",):
            if kw.get(name):
                raise _unsupported("extensions")

    def _escape_for(self, name):
        return self.autoescape(name) if callable(self.autoescape) else bool(self.autoescape)

    def from_string(self, source, globals=None, template_class=None):
        return Template._make(self, source, None, globals)

    def get_template(self, name, parent=None, globals=None):
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        return Template._make(self, self.loader.get_source(self, name), name, globals)


class Template:
    def __new__(cls, source, autoescape=False, **kw):
        return cls._make(Environment(autoescape=autoescape), source, None, None)

    @classmethod
    def _make(cls, env, source, name, globals):
        self = object.__new__(cls)
        self.environment = env
        self.name = name
        self.globals = dict(globals or {})
        self.autoescape = env._escape_for(name)
        self._nodes = _parse(env, source)
        return self

    def render(self, *args, **kwargs):
        ctx = dict(*args, **kwargs)
        ns = _ns([ctx, self.globals, self.environment.globals])
        out = []
        _render(self._nodes, ns, self.autoescape, out)
        return "".join(out)

    def generate(self, *args, **kwargs):
        yield self.render(*args, **kwargs)


def escape_func(s):
    return escape(s)


__version__ = "3.1.4"
