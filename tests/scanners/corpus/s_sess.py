def login(resp, sid):
    resp.set_cookie("session", sid, httponly=True, secure=True, samesite="Lax")
