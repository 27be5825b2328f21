import jwt
def login(resp, sid, token, key):
    resp.set_cookie("session", sid)
    return jwt.decode(token, key, options={"verify_signature": False})
