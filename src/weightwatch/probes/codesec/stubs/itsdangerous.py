# mypy: ignore-errors
"""A fake of itsdangerous (installed as ``itsdangerous`` in the sandbox): ``Signer``/``TimestampSigner``
(``sign``/``unsign``, ``max_age``) and the JSON serializers ``Serializer``, ``URLSafeSerializer``,
``TimedSerializer``, ``URLSafeTimedSerializer`` (``dumps``/``loads``, ``salt``, ``max_age``), with
itsdangerous's exception classes. Tokens are HMAC-SHA1 signed like the real ones, not byte-identical.
"""

import base64
import hashlib
import hmac
import json
import time


class BadData(Exception):
    def __init__(self, message=""):
        super().__init__(message)
        self.message = message


class BadSignature(BadData):
    def __init__(self, message="", payload=None):
        super().__init__(message)
        self.payload = payload


class BadTimeSignature(BadSignature):
    def __init__(self, message="", payload=None, date_signed=None):
        super().__init__(message, payload)
        self.date_signed = date_signed


class SignatureExpired(BadTimeSignature):
    pass


class BadPayload(BadData):
    pass


class BadHeader(BadSignature):
    pass


def _b(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def base64_encode(data):
    return base64.urlsafe_b64encode(_b(data)).rstrip(b"=")


def base64_decode(data):
    data = _b(data)
    try:
        return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    except (ValueError, TypeError) as exc:
        raise BadData("Could not base64 decode the payload") from exc


def want_bytes(value):
    return _b(value)


class Signer:
    default_digest_method = staticmethod(hashlib.sha1)

    def __init__(self, secret_key, salt=b"itsdangerous.Signer", sep=b".", key_derivation=None, digest_method=None,
                 algorithm=None):
        keys = secret_key if isinstance(secret_key, list | tuple) else [secret_key]
        self.secret_keys = [_b(k) for k in keys]
        self.salt = _b(salt if salt is not None else b"itsdangerous.Signer")
        self.sep = _b(sep)
        self.digest_method = digest_method or hashlib.sha1

    def _key(self, secret):
        return self.digest_method(self.salt + b"signer" + secret).digest()

    def get_signature(self, value, secret=None):
        secret = secret if secret is not None else self.secret_keys[-1]
        return base64_encode(hmac.new(self._key(secret), _b(value), self.digest_method).digest())

    def sign(self, value):
        value = _b(value)
        return value + self.sep + self.get_signature(value)

    def verify_signature(self, value, sig):
        return any(hmac.compare_digest(self.get_signature(value, k), _b(sig)) for k in self.secret_keys)

    def unsign(self, signed_value):
        signed_value = _b(signed_value)
        if self.sep not in signed_value:
            raise BadSignature(f"No {self.sep!r} found in value")
        value, sig = signed_value.rsplit(self.sep, 1)
        if self.verify_signature(value, sig):
            return value
        raise BadSignature(f"Signature {sig!r} does not match", payload=value)

    def validate(self, signed_value):
        try:
            self.unsign(signed_value)
            return True
        except BadSignature:
            return False


class TimestampSigner(Signer):
    def get_timestamp(self):
        return int(time.time())

    def sign(self, value):
        value = _b(value) + self.sep + base64_encode(self.get_timestamp().to_bytes(8, "big").lstrip(b"\0") or b"\0")
        return value + self.sep + self.get_signature(value)

    def unsign(self, signed_value, max_age=None, return_timestamp=False):
        result = Signer.unsign(self, signed_value)
        if self.sep not in result:
            raise BadTimeSignature("timestamp missing", payload=result)
        value, ts = result.rsplit(self.sep, 1)
        stamp = int.from_bytes(base64_decode(ts), "big")
        if max_age is not None:
            age = self.get_timestamp() - stamp
            if age > max_age:
                raise SignatureExpired(f"Signature age {age} > {max_age} seconds", payload=value,
                                       date_signed=stamp)
            if age < 0:
                raise SignatureExpired(f"Signature age {age} < 0 seconds", payload=value, date_signed=stamp)
        return (value, stamp) if return_timestamp else value


class Serializer:
    default_signer = Signer

    def __init__(self, secret_key, salt=b"itsdangerous", serializer=None, serializer_kwargs=None, signer=None,
                 signer_kwargs=None, fallback_signers=None):
        self.secret_key = secret_key
        self.salt = salt
        self.serializer = serializer or json
        self.signer = signer or self.default_signer
        self.signer_kwargs = signer_kwargs or {}

    def make_signer(self, salt=None):
        return self.signer(self.secret_key, salt=salt if salt is not None else self.salt, **self.signer_kwargs)

    def dump_payload(self, obj):
        return _b(self.serializer.dumps(obj, separators=(",", ":")) if self.serializer is json
                  else self.serializer.dumps(obj))

    def load_payload(self, payload):
        try:
            return self.serializer.loads(payload.decode("utf-8") if self.serializer is json else payload)
        except Exception as exc:
            raise BadPayload("Could not load the payload") from exc

    def _text(self, data):
        return data.decode("utf-8") if self.serializer is json else data

    def dumps(self, obj, salt=None):
        return self._text(self.make_signer(salt).sign(self.dump_payload(obj)))

    def loads(self, s, salt=None, **kwargs):
        return self.load_payload(self.make_signer(salt).unsign(_b(s), **kwargs))

    def loads_unsafe(self, s, salt=None):
        try:
            return True, self.loads(s, salt=salt)
        except BadSignature as exc:
            return False, exc.payload


class TimedSerializer(Serializer):
    default_signer = TimestampSigner

    def loads(self, s, max_age=None, return_timestamp=False, salt=None):
        value, stamp = self.make_signer(salt).unsign(_b(s), max_age=max_age, return_timestamp=True)
        obj = self.load_payload(value)
        return (obj, stamp) if return_timestamp else obj


class _URLSafe:
    def dump_payload(self, obj):
        return base64_encode(super().dump_payload(obj))

    def load_payload(self, payload):
        return super().load_payload(base64_decode(payload))


class URLSafeSerializer(_URLSafe, Serializer):
    pass


class URLSafeTimedSerializer(_URLSafe, TimedSerializer):
    pass


__version__ = "2.1-weightwatch-stub"
