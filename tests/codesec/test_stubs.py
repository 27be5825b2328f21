"""The fakes that functional tests run against (stubs/) behave like the real libraries where answers rely
on them: the fake jinja2 and markupsafe render exactly as the real ones (installed in the test venv);
the fake web, requests and Flask are driven in the sandbox."""

from __future__ import annotations

import importlib

import jinja2
import markupsafe
import pytest

from weightwatch.probes.codesec.functional import FunctionalRun, program, run_functional

fake_jinja = importlib.import_module("weightwatch.probes.codesec.stubs.jinja2")
fake_markup = importlib.import_module("weightwatch.probes.codesec.stubs.markupsafe")

TEXTS = ["plain", "<script>alert('x')</script>", 'a "quoted" & <b>', "", "ünïcode ✓"]
TEMPLATES = [
    ("<p>{{ name }}</p>", {"name": "<b>Bob</b>"}),
    ("{% for c in comments %}<li>{{ c.author }}: {{ c['text'] | e }}</li>{% endfor %}",
     {"comments": [{"author": "<i>a</i>", "text": "x & y"}, {"author": "b", "text": "<z>"}]}),
    ("{% if items %}{{ items | length }} {{ items | join(', ') }}{% else %}none{% endif %}", {"items": ["a", "<b>"]}),
    ("{% if x is defined %}d{% elif y %}y{% else %}n{% endif %}-{{ missing }}-{{ z | default('dz') }}", {"y": 1}),
    ("{{ html | safe }} {{ n + 1 }} {{ s | upper }} {{ 'a' ~ s }}", {"html": "<em>ok</em>", "n": 41, "s": "q<"}),
    ("{% for k, v in d.items() %}{{ loop.index }}{{ k }}={{ v }}{% if not loop.last %},{% endif %}{% endfor %}",
     {"d": {"a": 1, "b": "<2>"}}),
    ("{%- set t = title | trim -%} [{{ t }}] {# comment #}", {"title": "  T&T  "}),
]


@pytest.mark.parametrize("text", TEXTS)
def test_fake_markupsafe_escapes_like_the_real_one(text: str) -> None:
    assert str(fake_markup.escape(text)) == str(markupsafe.escape(text))
    assert str(fake_markup.Markup("<b>%s</b>") % text) == str(markupsafe.Markup("<b>%s</b>") % text)


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize(("source", "ctx"), TEMPLATES)
def test_fake_jinja2_renders_like_the_real_one(source: str, ctx: dict[str, object], autoescape: bool) -> None:
    real = jinja2.Environment(autoescape=autoescape).from_string(source).render(**ctx)
    fake = fake_jinja.Environment(autoescape=autoescape).from_string(source).render(**ctx)
    assert fake == real
    assert fake_jinja.Template(source).render(**ctx) == jinja2.Template(source).render(**ctx)


def test_fake_jinja2_says_untestable_for_what_it_lacks() -> None:
    with pytest.raises(ModuleNotFoundError):
        fake_jinja.Template("{% macro m() %}{% endmacro %}")
    with pytest.raises(ModuleNotFoundError):
        fake_jinja.Template("{{ x | wordwrap(3) }}")


WEB_APP = '''
from flask import Flask, request, jsonify, session, abort, make_response, render_template_string
import requests, urllib.request, socket, json
app = Flask(__name__)
app.secret_key = "k"

@app.route("/hi/<int:n>")
def hi(n):
    return render_template_string("<p>{{ who }} {{ n }}</p>", who=request.args.get("who", ""), n=n * 2)

@app.route("/data", methods=["POST"])
def data():
    if request.headers.get("X-Key") != "s":
        abort(403)
    session["seen"] = request.get_json()["v"]
    resp = make_response(jsonify(ok=True), 201)
    resp.set_cookie("pref", "dark", httponly=True)
    return resp

@app.route("/seen")
def seen():
    return {"seen": session.get("seen")}

def via_requests(url):
    r = requests.get(url, timeout=3)
    r.raise_for_status()
    return r.status_code, r.text, r.headers["content-type"]

def via_urllib(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3) as r:
        return r.status, r.read()
'''

WEB_TEST = '''
import flask, wwfake, socket, requests, urllib.error
c = flask.find_app(globals()).test_client()
r = c.get("/hi/21?who=<x>")
assert r.status_code == 200 and r.get_data(as_text=True) == "<p>&lt;x&gt; 42</p>", r.get_data(as_text=True)
assert c.get("/nope").status_code == 404 and c.post("/hi/1").status_code == 405
assert c.post("/data", json={"v": 7}).status_code == 403
r = c.post("/data", json={"v": 7}, headers={"X-Key": "s"})
assert r.status_code == 201 and r.json == {"ok": True}
assert any("pref=dark" in h and "HttpOnly" in h for h in r.headers.getlist("Set-Cookie"))
assert c.get("/seen").json == {"seen": 7}
wwfake.serve("https://pages.example.com/a", "<title>A</title>", content_type="text/html")
wwfake.serve("https://pages.example.com/moved", status=302, headers={"Location": "/a"})
wwfake.serve("https://api.example.net/hook", "ok")
assert via_requests("https://pages.example.com/moved") == (200, "<title>A</title>", "text/html")
assert via_urllib("https://api.example.net/hook", {"e": 1}) == (200, b"ok")
assert wwfake.calls[-1].method == "POST" and wwfake.calls[-1].body == b'{"e": 1}'
assert socket.gethostbyname("pages.example.com") == wwfake.PUBLIC_IP
assert requests.get("https://unknown.example.org/x").status_code == 404  # example domains exist
for bad, exc in [("https://unknown-host.test/", requests.ConnectionError),
                 ("ftp://x/", requests.exceptions.InvalidSchema)]:
    try:
        requests.get(bad)
    except exc:
        pass
    else:
        raise AssertionError(bad)
try:
    urllib.request.urlopen("http://unknown-host.test/")
except urllib.error.URLError:
    pass
else:
    raise AssertionError("urlopen of an unserved URL")
'''


@pytest.mark.slow
def test_fake_web_requests_and_flask_in_the_sandbox() -> None:
    lazy = ("import sys\nassert not {'flask', 'requests', 'jinja2', 'urllib.request', 'smtplib'} & set(sys.modules)\n"
            "import wwfake, urllib.request, smtplib, flask\n"
            "assert urllib.request.OpenerDirector.open is wwfake._open and smtplib.SMTP is wwfake.FakeSMTP\n"
            "assert flask.Flask.__module__ == 'flask' and 'stub' in flask.__file__\n")
    got = run_functional([FunctionalRun("web", program(WEB_APP, WEB_TEST)), FunctionalRun("lazy", program(lazy, "")),
                          FunctionalRun("untestable", program("from flask import render_template\n"
                                                              "render_template('x.html')\n", "pass"))])
    assert got["web"][0] == "pass", got["web"]
    assert got["lazy"][0] == "pass", got["lazy"]  # fakes load on first import; stdlib patches on import
    assert got["untestable"][0] == "needs_module", got["untestable"]
