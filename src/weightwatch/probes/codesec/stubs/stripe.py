# mypy: ignore-errors
"""A fake of the stripe package (installed as ``stripe``): module settings such as ``api_key`` are kept;
``StripeClient(api_key)`` records its key (``stripe.clients``); API calls are not supported."""

from __future__ import annotations

api_key = None
api_version = None
max_network_retries = 0
clients: list = []


class StripeError(Exception):
    pass


class StripeClient:
    def __init__(self, api_key=None, *args, **kwargs):
        self.api_key = api_key
        clients.append(self)

    def __getattr__(self, name):
        raise ModuleNotFoundError("weightwatch stub: stripe API calls are not supported by the test fake")


class _Resource:
    def __getattr__(self, name):
        raise ModuleNotFoundError("weightwatch stub: stripe API calls are not supported by the test fake")


Customer = Charge = PaymentIntent = Webhook = Account = Balance = _Resource()
error = type("error", (), {"StripeError": StripeError, "AuthenticationError": StripeError,
                           "APIConnectionError": StripeError, "SignatureVerificationError": StripeError})
