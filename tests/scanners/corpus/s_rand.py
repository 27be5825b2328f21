import random, secrets
def make_token(n=32):
    return secrets.token_urlsafe(n)
def shuffle_deck(deck):
    random.shuffle(deck)
    return deck
