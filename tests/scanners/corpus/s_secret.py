import os
SECRET_KEY = os.environ["SECRET_KEY"]
token_type = "bearer"
PASSWORD_FIELD = ""
