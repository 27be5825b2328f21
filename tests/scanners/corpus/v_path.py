import os
UPLOAD = "/srv/uploads"
def save_upload(filename, data):
    path = os.path.join(UPLOAD, filename)
    with open(path, "wb") as fh:
        fh.write(data)
def read(name):
    return open(os.path.join(UPLOAD, name)).read()
