import os
UPLOAD = "/srv/uploads"
def save_upload(filename, data):
    path = os.path.realpath(os.path.join(UPLOAD, filename))
    if not path.startswith(UPLOAD + os.sep):
        raise ValueError("bad")
    with open(path, "wb") as fh:
        fh.write(data)
