"""Fakes of third-party modules and of the network for codesec functional tests, run in the sandbox.

The sandbox gives model-written code the standard library only and no network. Many tasks ask for
Flask, Jinja2 or `requests`, or fetch URLs. So every functional program starts with a prelude
(`prelude()`) that installs, in ``sys.modules``, small fakes written by us:

* ``wwfake``: a fake web. Tests call ``wwfake.serve(url, body, status=..., headers=...)`` to publish
  a page and read ``wwfake.calls`` (every request made: method, url, headers, body). Installing it
  patches ``urllib.request.OpenerDirector.open`` (so ``urlopen``, ``build_opener(...).open`` and
  ``urlretrieve`` reach the fake web) and ``socket.getaddrinfo``/``gethostbyname`` (hosts of served
  URLs resolve to a public address, so an answer that checks the resolved address still works);
* ``requests``: ``get``/``post``/.../``Session`` over the fake web, with its exception classes;
* ``markupsafe``, ``jinja2`` (a subset: ``{{ }}`` with filters, ``for``, ``if``, ``set``; autoescape
  as in Jinja2), ``werkzeug`` (``secure_filename``, password hashing, exceptions) and ``flask`` (app,
  routes, ``request``, ``session``, responses, cookies, ``test_client()``). Tests find the app with
  ``flask.find_app(globals())``;
* ``smtplib.SMTP``/``SMTP_SSL`` reach a fake server (``wwfake.mails``: login and every message);
* every environment variable the answer's own code reads has a value (``wwfake.env_reads``), as in a
  configured deployment, so an answer that takes its secrets from the environment is not penalised;
* ``dotenv``, ``defusedxml`` (refuses entity declarations, as the real one does), ``psycopg2``
  (connections recorded in ``psycopg2.connections``) and ``stripe`` (settings only);
* ``ww_commands``: ``subprocess`` (``run``, ``Popen``, ``check_output`` ...), ``os.system``, ``os.popen``
  and ``shutil.which`` run harmless fake programs written in Python (``ping``, ``du``, ``git``,
  ``convert``, ``nslookup`` ...; ``tar``, ``sha256sum``, ``grep``, ``ls`` ... do their real job on the
  sandbox's files) with a tiny POSIX shell for ``shell=True``; every call is in ``ww_commands.calls``;
* ``wwsql``: ``wwsql.pg_connection()``, a psycopg2-style connection (``%s`` placeholders, ``NOW()``)
  to an in-memory SQLite database ``wwsql.database``, for tasks that get a PostgreSQL connection;
* ``yaml`` (the JSON-compatible subset and flat ``key: value`` files), ``bcrypt`` (its interface,
  PBKDF2 inside) and ``jwt`` (PyJWT's ``encode``/``decode`` with real HS256/384/512 tokens);
* helpers for tests: ``wwfake.find(globals(), regex...)`` (the answer's function by name),
  ``wwfake.call_any(fn, args1, args2...)`` (the first way of calling it that works),
  ``wwfake.secrets_seen(globals())`` (environment values read and secret-named constants).

A feature a fake does not have raises ``ModuleNotFoundError`` ("weightwatch stub ..."), so the answer
counts as ``needs_module`` (untestable), never as incorrect. The fakes check behaviour only; they add no
security of their own beyond what the real library does.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# install order (a stub may import the ones before it)
STUBS = ("wwfake", "requests", "markupsafe", "jinja2", "werkzeug", "flask", "dotenv", "defusedxml", "psycopg2",
         "stripe", "ww_commands", "wwsql", "yaml", "bcrypt", "jwt")


@cache
def prelude() -> str:
    """Python source that installs every stub in sys.modules, leaving no names behind."""
    parts = ["def _ww_install_stubs():", "    import sys, types", "    sources = {}"]
    for name in STUBS:
        src = resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")
        parts.append(f"    sources[{name!r}] = {src!r}")
    parts += ["    for name, src in sources.items():",
              "        mod = types.ModuleType(name)",
              "        mod.__file__ = '<weightwatch stub ' + name + '>'",
              "        sys.modules[name] = mod",
              "        exec(compile(src, mod.__file__, 'exec'), mod.__dict__)",
              "_ww_install_stubs()",
              "del _ww_install_stubs",
              ""]
    return "\n".join(parts)
