import hmac, hashlib
def verify(secret, body, sig):
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig)
