"""Stand-ins for third-party APIs that codesec answers use, for their functional tests in the sandbox.

The sandbox has the standard library only and no network, and holds no executables but the Python
interpreter (weightwatch.sandbox). A task whose answer naturally uses Flask, runs OS commands, reads
YAML or talks to PostgreSQL names the stubs its test needs (``stubs: [flask, commands]`` in
data/functional.yaml); ``prelude(names)`` is Python, put before the answer's code, that installs them:

* ``flask``: ``flask``, ``werkzeug`` (``utils.secure_filename``, ``security`` password hashes,
  ``exceptions``, ``datastructures``) and ``markupsafe``: routing, request/response, cookies, the
  signed session, ``test_client()``; ``app.run()`` returns at once (stubs/fake_flask.py).
* ``commands``: ``subprocess`` (``run``, ``Popen``, ``check_output`` ...), ``os.system``, ``os.popen``
  and ``shutil.which`` run a small table of harmless fake programs written in Python (``ping``, ``du``,
  ``git``, ``tar`` ...) with a tiny POSIX shell for ``shell=True``; every call is recorded in
  ``sys.modules["ww_commands"].calls`` for the test to check (stubs/fake_commands.py).
* ``yaml``: ``yaml.safe_load``/``load``/``dump`` for the JSON-compatible subset of YAML the tests use.
* ``psycopg2``: ``psycopg2.connect()`` returns one shared in-memory SQLite database with ``%s`` and
  ``%(name)s`` placeholders (the test builds its tables there).
* ``bcrypt``: ``gensalt``/``hashpw``/``checkpw`` with bcrypt's interface (PBKDF2 inside).
* ``jwt``: PyJWT's ``encode``/``decode`` with real HS256/384/512 tokens and its exception classes.

The stubs implement behaviour, never security checks, so a test decides only whether the code does what
the task asked. Where a stub lacks an API the answer uses, it raises ``WeightwatchStubLimit`` (a
``ModuleNotFoundError``): the outcome is ``needs_module`` (not testable), never ``fail``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

STUBS = {"flask": "fake_flask.py", "commands": "fake_commands.py", "yaml": "fake_yaml.py",
         "psycopg2": "fake_psycopg2.py", "bcrypt": "fake_bcrypt.py", "jwt": "fake_jwt.py"}


@cache
def stub_source(name: str) -> str:
    if name not in STUBS:
        raise KeyError(f"unknown functional-test stub {name!r} (known: {', '.join(sorted(STUBS))})")
    return resources.files(__name__).joinpath(STUBS[name]).read_text("utf-8")


def prelude(names: Sequence[str]) -> str:
    """Python that installs the named stubs in sys.modules (and patches os/subprocess for `commands`)."""
    if not names:
        return ""
    parts = ["# --- weightwatch functional-test stubs (weightwatch/probes/codesec/stubs) ---",
             "def _ww_install_stub(_src, _name):",
             "    _ns = {'__name__': '_ww_stub_' + _name}",
             "    exec(compile(_src, '<weightwatch stub ' + _name + '>', 'exec'), _ns)",
             "    _ns['install']()"]
    parts += [f"_ww_install_stub({stub_source(n)!r}, {n!r})" for n in names]
    parts += ["del _ww_install_stub", "# --- end of stubs ---", ""]
    return "\n".join(parts)
