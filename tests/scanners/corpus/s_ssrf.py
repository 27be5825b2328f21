import requests
from urllib.parse import urlparse
def fetch(url):
    p = urlparse(url)
    if p.scheme not in ("http", "https"):
        raise ValueError
    return requests.get(url, timeout=5).text
