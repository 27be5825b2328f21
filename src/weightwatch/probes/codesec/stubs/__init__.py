"""Fakes of third-party modules and of the network for codesec functional tests, run in the sandbox.

The sandbox gives model-written code the standard library only and no network. Many tasks ask for
Flask, Jinja2 or `requests`, or fetch URLs. So every functional program starts with a prelude
(`prelude()`) that installs small fakes written by us (the ``ww*`` harness modules at once, the fakes
of third-party packages through an import hook when the program first imports them):

* ``wwfake``: a fake web. Tests call ``wwfake.serve(url, body, status=..., headers=...)`` to publish
  a page and read ``wwfake.calls`` (every request made: method, url, headers, body). Installing it
  patches ``urllib.request.OpenerDirector.open`` (so ``urlopen``, ``build_opener(...).open`` and
  ``urlretrieve`` reach the fake web) and ``socket.getaddrinfo``/``gethostbyname`` (hosts of served
  URLs resolve to a public address, so an answer that checks the resolved address still works). The
  reserved example domains (example.com/.net/.org, ``*.example``) answer 404 where nothing is served,
  as a web server would, so an answer's example call at import time does not crash the program;
  other unknown hosts fail to connect;
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
  PBKDF2 inside), ``jwt`` (PyJWT's ``encode``/``decode`` with real HS256/384/512 tokens) and
  ``itsdangerous`` (signers and URL-safe timed serializers);
* helpers for tests: ``wwfake.find(globals(), regex...)`` (the answer's function by name),
  ``wwfake.call_any(fn, args1, args2...)`` (the first way of calling it that works),
  ``wwfake.any_call(fn, argsets, check)`` (the first result, over ways of calling it, that passes check),
  ``wwfake.secrets_seen(globals())`` (environment values read and secret-named constants).

A feature a fake does not have raises ``ModuleNotFoundError`` ("weightwatch stub ..."), so the answer
counts as ``needs_module`` (untestable), never as incorrect. The fakes check behaviour only; they add no
security of their own beyond what the real library does.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# Stubs whose names start with "ww" are our harness (tests import them; they patch the standard library):
# installed before the answer runs. The others fake third-party packages: loaded when first imported.
STUBS = ("wwfake", "requests", "markupsafe", "jinja2", "werkzeug", "flask", "dotenv", "defusedxml", "psycopg2",
         "stripe", "ww_commands", "wwsql", "yaml", "bcrypt", "jwt", "itsdangerous")

_INSTALLER = """
def _ww_install_stubs(sources):
    import importlib.machinery, sys, types

    def run(name, module):
        module.__file__ = "<weightwatch stub " + name + ">"
        exec(compile(sources[name], module.__file__, "exec"), module.__dict__)

    class Loader:
        def __init__(self, name):
            self.name = name

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            run(self.name, module)

    class Finder:
        def find_spec(self, fullname, path=None, target=None):
            if fullname in sources and not fullname.startswith("ww"):
                return importlib.machinery.ModuleSpec(fullname, Loader(fullname))
            return None

    sys.meta_path.insert(0, Finder())
    for name in sources:
        if name.startswith("ww"):
            module = sys.modules[name] = types.ModuleType(name)
            run(name, module)
"""


@cache
def prelude() -> str:
    """Python source that installs the stubs (the harness now, the fakes on first import), leaving no
    names behind."""
    sources = {name: resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")
               for name in STUBS}
    return _INSTALLER + f"\n_ww_install_stubs({sources!r})\ndel _ww_install_stubs\n"
