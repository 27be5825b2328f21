import hashlib, os
def hash_password(password):
    salt = os.urandom(16)
    return salt + hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600000)
def file_digest(data):
    return hashlib.sha256(data).hexdigest()
