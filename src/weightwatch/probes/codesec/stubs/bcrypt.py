"""A stand-in for the bcrypt package (standard library only), run inside the sandbox.

Same interface and hash layout (``$2b$<cost>$<22-char salt><31-char hash>``, bytes in and out);
inside it is PBKDF2-SHA256, so hashes are not real bcrypt hashes, only behave like them: a password
checks against its own hash and no other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _b64(data: bytes, n: int) -> str:
    std = base64.b64encode(data).decode().rstrip("=")
    table = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", _ALPHABET)
    return std.translate(table)[:n]


def gensalt(rounds: int = 12, prefix: bytes = b"2b") -> bytes:
    return b"$" + prefix + b"$" + f"{rounds:02d}".encode() + b"$" + _b64(os.urandom(16), 22).encode()


def hashpw(password: bytes, salt: bytes) -> bytes:
    if isinstance(password, str) or isinstance(salt, str):
        raise TypeError("Unicode-objects must be encoded before hashing")
    head = salt[:29]
    digest = hashlib.pbkdf2_hmac("sha256", password, head, 1000)
    return head + _b64(digest, 31).encode()


def checkpw(password: bytes, hashed_password: bytes) -> bool:
    if isinstance(password, str) or isinstance(hashed_password, str):
        raise TypeError("Unicode-objects must be encoded before checking")
    return hmac.compare_digest(hashpw(password, hashed_password), hashed_password)


def kdf(password: bytes, salt: bytes, desired_key_bytes: int, rounds: int, ignore_few_rounds: bool = False) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password, salt, rounds, desired_key_bytes)


__version__ = "weightwatch-stub"
