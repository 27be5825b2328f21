SECRET_KEY = "s3cr3t-very-long-value"
API_KEY = "AKIA1234567890ABCD"
class C:
    pass
app = C()
app.secret_key = "hardcodedsecret123"
def f(requests):
    requests.get("https://x", verify=False)
