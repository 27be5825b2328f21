import hashlib
def hash_password(password, salt):
    return hashlib.sha256((salt + password).encode()).hexdigest()
def h2(pwd):
    return hashlib.md5(pwd.encode()).hexdigest()
def h3(password):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), b"salt", 1000)
