# mypy: ignore-errors
"""A fake of python-dotenv (installed as ``dotenv``): nothing to load in the sandbox."""


def load_dotenv(*args, **kwargs):
    return True


def find_dotenv(*args, **kwargs):
    return ""


def dotenv_values(*args, **kwargs):
    return {}
