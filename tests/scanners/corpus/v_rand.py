import random, string
def make_token(n=32):
    return "".join(random.choice(string.ascii_letters) for _ in range(n))
def other():
    reset_code = random.randint(100000, 999999)
    return reset_code
