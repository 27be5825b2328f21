"""The fakes for OS-command, PostgreSQL, YAML, JWT and signing answers (stubs/ww_commands, wwsql, yaml, jwt,
itsdangerous): the shell and subprocess behave as on a real system for the cases answers use, itsdangerous
rejects bad and expired tokens, and the fake yaml and jwt agree
with the real libraries (installed in the test venv)."""

from __future__ import annotations

import importlib
import time

import jwt as real_jwt
import yaml as real_yaml

from weightwatch.probes.codesec.functional import FunctionalRun, program, run_functional

fake_yaml = importlib.import_module("weightwatch.probes.codesec.stubs.yaml")
fake_jwt = importlib.import_module("weightwatch.probes.codesec.stubs.jwt")
K = "test-key-" * 8

COMMANDS = r'''
import os, shutil, subprocess, ww_commands
with open("a.log", "w") as f:
    f.write("ok 1\nERROR x\nok 2\nERROR y\n")
# shell: pipes, &&, ||, redirection, cd, quoting
assert subprocess.check_output("grep ERROR a.log | wc -l", shell=True, text=True).strip() == "2"
assert subprocess.run("false && echo no || echo yes", shell=True, capture_output=True, text=True).stdout == "yes\n"
assert os.system("echo 'hello  world' > out.txt") == 0
assert open("out.txt").read() == "hello  world\n"
os.makedirs("d/e")
assert subprocess.getoutput("cd d && pwd").endswith("/d")
assert os.popen("ls d").read() == "e\n"
assert os.system("nosuchprogram") >> 8 == 127
# no shell: argv lists, a missing program is FileNotFoundError, check=True raises on failure
try:
    subprocess.run(["nosuchprogram"])
except FileNotFoundError:
    pass
else:
    raise AssertionError("a missing program ran")
try:
    subprocess.run(["grep", "-q", "absent", "a.log"], check=True)
except subprocess.CalledProcessError as exc:
    assert exc.returncode == 1
else:
    raise AssertionError("grep found what is not there")
p = subprocess.Popen(["sha256sum"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
out, _ = p.communicate("abc")
assert out.startswith("ba7816bf") and p.returncode == 0
assert shutil.which("ping") and shutil.which("nosuchprogram") is None
assert [c["argv"][0] for c in ww_commands.calls][:2] == ["grep", "wc"]
assert ww_commands.calls[0]["shell"] == "grep ERROR a.log | wc -l"
'''

SQL = r'''
import wwsql
wwsql.database.executescript("CREATE TABLE c(id INTEGER, email TEXT); CREATE TABLE o(id INTEGER, cid INTEGER, "
                             "at TEXT); INSERT INTO c VALUES (1, 'a@x'), (2, 'b@x'); "
                             "INSERT INTO o VALUES (7, 1, ''), (8, 2, '');")
conn = wwsql.pg_connection()
with conn.cursor() as cur:
    cur.execute("DELETE FROM o USING c WHERE o.cid = c.id AND c.email = %s", ("a@x",))
    assert cur.rowcount == 1
    cur.execute("INSERT INTO o (id, cid, at) VALUES (%(id)s, %(cid)s, NOW())", {"id": 9, "cid": 2})
    cur.execute("SELECT id FROM o WHERE at <> '' ORDER BY id")
    assert cur.fetchall() == [(9,)]
conn.commit()
'''

SIGNING = r'''
import time
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
s = URLSafeTimedSerializer("secret-key", salt="remember")
token = s.dumps({"u": 77})
assert isinstance(token, str) and s.loads(token, max_age=60) == {"u": 77}
for bad, other in [(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), s),
                   (token, URLSafeTimedSerializer("other-key", salt="remember")),
                   (token, URLSafeTimedSerializer("secret-key", salt="other"))]:
    try:
        other.loads(bad)
    except BadSignature:
        pass
    else:
        raise AssertionError("a bad token was accepted")
signer = TimestampSigner("k")
old = signer.sign("v")
signer.get_timestamp = lambda: int(time.time()) + 100
try:
    signer.unsign(old, max_age=10)
except SignatureExpired:
    pass
else:
    raise AssertionError("an expired signature was accepted")
assert URLSafeSerializer("k").loads(URLSafeSerializer("k").dumps([1, "a"])) == [1, "a"]
'''


def test_fake_commands_postgres_and_signing_behave_as_expected_in_the_sandbox() -> None:
    got = run_functional([FunctionalRun("commands", program("", COMMANDS)), FunctionalRun("sql", program("", SQL)),
                          FunctionalRun("signing", program("", SIGNING))])
    assert got["commands"][0] == "pass", got["commands"]
    assert got["sql"][0] == "pass", got["sql"]
    assert got["signing"][0] == "pass", got["signing"]


def test_fake_yaml_loads_like_pyyaml() -> None:
    for text in ['{"name": "shop", "debug": false, "port": 8080, "admins": ["ann", "bob"], "x": null}',
                 "name: shop\nport: 8080\ndebug: false\nratio: 0.5\n# comment\nempty:\n", "[1, 2.5, \"a\"]"]:
        assert fake_yaml.safe_load(text) == real_yaml.safe_load(text), text
        assert fake_yaml.load(text, Loader=fake_yaml.SafeLoader) == real_yaml.safe_load(text)
    assert real_yaml.safe_load(fake_yaml.dump({"a": [1, {"b": None}]})) == {"a": [1, {"b": None}]}


def test_fake_jwt_interoperates_with_pyjwt() -> None:
    payload = {"sub": "17", "exp": int(time.time()) + 60}
    token = fake_jwt.encode(payload, K, algorithm="HS256")
    assert real_jwt.decode(token, K, algorithms=["HS256"]) == payload
    assert fake_jwt.decode(real_jwt.encode(payload, K, algorithm="HS512"), K, algorithms=["HS512"]) == payload
    for bad, exc in [(real_jwt.encode(payload, "other", algorithm="HS256"), fake_jwt.InvalidSignatureError),
                     (real_jwt.encode({"exp": int(time.time()) - 5}, K, algorithm="HS256"),
                      fake_jwt.ExpiredSignatureError), ("not.a.token", fake_jwt.DecodeError)]:
        try:
            fake_jwt.decode(bad, K, algorithms=["HS256"])
        except exc:
            continue
        raise AssertionError(f"{bad} was accepted")
