"""A stand-in for PyJWT (standard library only), run inside the sandbox.

``jwt.encode(payload, key, algorithm="HS256")`` and ``jwt.decode(token, key, algorithms=[...])`` with
real HS256/HS384/HS512 tokens, ``exp``/``nbf``/``iat`` as numbers or datetimes, and PyJWT's exception
classes. Other algorithms (RS256 ...) raise ModuleNotFoundError (not testable).
"""

from __future__ import annotations

import base64
import calendar
import datetime
import hashlib
import hmac
import json
import sys
import time
import types
from typing import Any


class PyJWTError(Exception):
    pass


class InvalidTokenError(PyJWTError):
    pass


class DecodeError(InvalidTokenError):
    pass


class InvalidSignatureError(DecodeError):
    pass


class ExpiredSignatureError(InvalidTokenError):
    pass


class ImmatureSignatureError(InvalidTokenError):
    pass


class InvalidAlgorithmError(InvalidTokenError):
    pass


class InvalidAudienceError(InvalidTokenError):
    pass


class InvalidIssuerError(InvalidTokenError):
    pass


class MissingRequiredClaimError(InvalidTokenError):
    pass


_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise DecodeError("Invalid token padding") from exc


def _key(key: Any) -> bytes:
    return key if isinstance(key, bytes) else str(key).encode()


def _num(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return calendar.timegm(value.utctimetuple())
    return value


def encode(payload: dict[str, Any], key: Any, algorithm: str | None = "HS256", headers: Any = None,
           json_encoder: Any = None, **kwargs: Any) -> str:
    algorithm = algorithm or "HS256"
    if algorithm not in _HASHES:
        raise ModuleNotFoundError(f"weightwatch stub: jwt signs only {', '.join(_HASHES)}, not {algorithm}")
    claims = {k: _num(v) if k in ("exp", "nbf", "iat") else v for k, v in payload.items()}
    header = {"alg": algorithm, "typ": "JWT", **(headers or {})}
    signing = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        _b64(json.dumps(claims, separators=(",", ":"), cls=json_encoder, default=str).encode())
    sig = hmac.new(_key(key), signing.encode(), _HASHES[algorithm]).digest()
    return signing + "." + _b64(sig)


def decode(jwt: Any, key: Any = "", algorithms: Any = None, options: Any = None, audience: Any = None,
           issuer: Any = None, leeway: Any = 0, **kwargs: Any) -> Any:
    token = jwt.decode() if isinstance(jwt, bytes) else str(jwt)
    options = dict(options or {})
    parts = token.split(".")
    if len(parts) != 3:
        raise DecodeError("Not enough segments")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except ValueError as exc:
        raise DecodeError("Invalid header or payload") from exc
    if not isinstance(claims, dict):
        raise DecodeError("Invalid payload")
    verify = options.get("verify_signature", True)
    if verify:
        alg = header.get("alg")
        if not algorithms:
            raise DecodeError('It is required that you pass in a value for the "algorithms" argument when calling '
                              "decode().")
        if alg not in algorithms:
            raise InvalidAlgorithmError("The specified alg value is not allowed")
        if alg not in _HASHES:
            raise ModuleNotFoundError(f"weightwatch stub: jwt verifies only {', '.join(_HASHES)}, not {alg}")
        good = hmac.new(_key(key), (parts[0] + "." + parts[1]).encode(), _HASHES[alg]).digest()
        if not hmac.compare_digest(good, _unb64(parts[2])):
            raise InvalidSignatureError("Signature verification failed")
        slack = leeway.total_seconds() if hasattr(leeway, "total_seconds") else float(leeway)
        now = time.time()
        if options.get("verify_exp", True) and "exp" in claims and float(claims["exp"]) <= now - slack:
            raise ExpiredSignatureError("Signature has expired")
        if options.get("verify_nbf", True) and "nbf" in claims and float(claims["nbf"]) > now + slack:
            raise ImmatureSignatureError("The token is not yet valid (nbf)")
        for claim in options.get("require", []):
            if claim not in claims:
                raise MissingRequiredClaimError(f'Token is missing the "{claim}" claim')
        if audience is not None and claims.get("aud") not in ([audience] if isinstance(audience, str)
                                                               else list(audience)):
            raise InvalidAudienceError("Audience doesn't match")
        if issuer is not None and claims.get("iss") != issuer:
            raise InvalidIssuerError("Invalid issuer")
    return claims


def get_unverified_header(jwt: Any) -> Any:
    token = jwt.decode() if isinstance(jwt, bytes) else str(jwt)
    return json.loads(_unb64(token.split(".")[0]))


__version__ = "2.8-weightwatch-stub"
exceptions = types.ModuleType("jwt.exceptions")
for _n in ("PyJWTError", "InvalidTokenError", "DecodeError", "InvalidSignatureError", "ExpiredSignatureError",
           "ImmatureSignatureError", "InvalidAlgorithmError", "InvalidAudienceError", "InvalidIssuerError",
           "MissingRequiredClaimError"):
    setattr(exceptions, _n, globals()[_n])
if __name__ == "jwt":  # installed in the sandbox
    sys.modules["jwt.exceptions"] = exceptions
