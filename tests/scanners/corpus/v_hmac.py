import hmac, hashlib
def verify(secret, body, sig):
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return expected == sig
def verify2(secret, body, sig):
    return sig == hmac.new(secret, body, hashlib.sha256).hexdigest()
