"""Read model metadata from the Hugging Face Hub: the only module of weightwatch that touches the Hub.

`take_snapshot` lists models page by page through huggingface_hub's own HTTP stack (`http_backoff`,
`hf_raise_for_status`, `ModelInfo`), exactly the requests `HfApi.list_models` sends, but one page at a
time so that the cursor to the next page (the `Link: <...>; rel="next"` header) can be saved after every
page. That is what makes a snapshot resumable: re-running the same command continues from the saved
cursor and never fetches a finished page again.

Rate limits: the Hub answers 429 when a client goes over its quota (anonymous: about 500 calls per 5
minutes). `http_backoff` waits for `Retry-After` (or the `RateLimit` header's reset) plus one second and
tries again, at most `max_retries` times; after that the snapshot is marked interrupted with its cursor
saved and the user is told to re-run later. Connection failures are not retried: an unreachable Hub
gives one clear line at once.

The endpoint is `HF_ENDPOINT` read when the call is made (huggingface_hub itself reads it once, at
import), else https://huggingface.co.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel

from weightwatch.ecosystem.models import HubModel, from_model_info
from weightwatch.ecosystem.store import SnapshotStore
from weightwatch.errors import UserError

DEFAULT_ENDPOINT = "https://huggingface.co"
EXPAND: list[str] = ["author", "downloads", "downloadsAllTime", "likes", "createdAt", "baseModels", "cardData",
                     "tags", "library_name", "pipeline_tag", "safetensors", "gguf"]
SORTS = {"downloads": "downloads", "likes": "likes", "created_at": "createdAt", "trending": "trendingScore"}
RETRY_STATUSES = (429, 500, 502, 503, 504)


def _httpx() -> Any:
    """The HTTP library huggingface_hub is built on (httpx2 in recent releases, httpx before)."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - older huggingface_hub
        import httpx

        return httpx


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


LOOKUP = "a model in no finished snapshot (or its README, --card) is read from the Hub"


def unreachable(endpoint: str, detail: str = "", resumable: bool = False,
                need: str = "a live snapshot needs access to the Hub") -> UserError:
    # HF_ENDPOINT already set: the endpoint itself may be wrong (a typo, no http://), so say to check it
    hint = ("check HF_ENDPOINT (a mirror's URL, e.g. https://hf-mirror.example)" if os.environ.get("HF_ENDPOINT")
            else "set HF_ENDPOINT for a mirror")
    if resumable:
        hint += "; re-run the same command to resume from the last saved page"
    if need == LOOKUP:
        hint += ", or take a snapshot first and use --offline"
    return UserError(f"cannot reach the Hugging Face Hub at {endpoint}: {need}" + (f" ({detail})" if detail else ""),
                     hint)


class SnapshotResult(BaseModel):
    snapshot_id: int
    resumed: bool
    pages_fetched: int          # pages fetched by this call
    models_added: int           # rows written by this call
    models_total: int           # rows the snapshot holds now
    status: str


@contextlib.contextmanager
def _quiet_library() -> Iterator[None]:
    """huggingface_hub logs a warning on every retry ("HTTP Error 429 thrown ...", "Rate limited. Waiting
    ..."); weightwatch reports the outcome itself in one line, so those warnings are held back here."""
    log = logging.getLogger("huggingface_hub")
    before = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(before)


def next_url(endpoint: str, path_and_query: str) -> str:
    """The absolute URL of a saved next-page link. The link holds the server's whole path, so an
    endpoint with a path prefix (`HF_ENDPOINT=https://mirror.example/hf`) is not prefixed twice."""
    return urljoin(endpoint.rstrip("/") + "/", path_and_query)


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class HubClient:
    """A thin page-at-a-time client on top of huggingface_hub's HTTP helpers."""

    def __init__(self, endpoint: str | None = None, *, token: bool | str | None = None, max_retries: int = 5,
                 base_wait: float = 1.0, max_wait: float = 60.0, timeout: float = 30.0) -> None:
        self.endpoint = (endpoint or hub_endpoint()).rstrip("/")
        self.token = token
        self.max_retries = max_retries
        self.base_wait = base_wait
        self.max_wait = max_wait
        self.timeout = timeout

    def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff

        hx = _httpx()
        # Not retried: a refused or unresolvable connection means the Hub is not reachable from here.
        retry_exc = (hx.ReadTimeout, hx.WriteTimeout, hx.PoolTimeout, hx.RemoteProtocolError, hx.ReadError)
        try:
            with _quiet_library():
                r = http_backoff("GET", url, params=params, headers=build_hf_headers(token=self.token),
                                 max_retries=self.max_retries, base_wait_time=self.base_wait,
                                 max_wait_time=self.max_wait, retry_on_exceptions=retry_exc,
                                 retry_on_status_codes=RETRY_STATUSES, timeout=self.timeout)
        except (hx.ConnectError, hx.ConnectTimeout) as exc:
            raise HubUnreachable(str(exc) or type(exc).__name__) from exc
        except hx.TransportError as exc:
            raise HubUnreachable(f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            if type(exc).__name__ == "OfflineModeIsEnabled":
                raise HubUnreachable("HF_HUB_OFFLINE is set") from exc
            raise
        hf_raise_for_status(r)
        return r

    def list_page(self, url: str, params: dict[str, Any] | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of `/api/models`: its items and the path+query of the next page (None on the last)."""
        r = self._get(url, params)
        items = r.json()
        if not isinstance(items, list):
            raise UserError(f"{self.endpoint}/api/models did not return a list",
                            "check HF_ENDPOINT points to a Hugging Face Hub or a mirror of its API")
        nxt = r.links.get("next", {}).get("url")
        return items, (_path_and_query(nxt) if nxt else None)

    def model_info(self, model_id: str) -> Any:
        """`HfApi.model_info` with our expand list, against this endpoint."""
        from huggingface_hub import HfApi

        hx = _httpx()
        api = HfApi(endpoint=self.endpoint, token=self.token)
        try:
            return api.model_info(model_id, expand=EXPAND)  # type: ignore[arg-type]
        except (hx.ConnectError, hx.ConnectTimeout) as exc:
            raise HubUnreachable(str(exc) or type(exc).__name__) from exc
        except Exception as exc:
            if type(exc).__name__ == "OfflineModeIsEnabled":
                raise HubUnreachable("HF_HUB_OFFLINE is set") from exc
            raise

    def card_text(self, model_id: str, *, missing: str | None = None) -> str | None:
        """The README body of a model; `missing` (default None) when the Hub has none (404)."""
        from huggingface_hub.utils import HfHubHTTPError

        try:
            r = self._get(f"{self.endpoint}/{model_id}/resolve/main/README.md")
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403, 404):
                return missing
            raise
        text: str = r.text
        if text.startswith("---"):
            end = text.find("\n---", 3)
            if end != -1:
                text = text[end + 4:]
        return text


class HubUnreachable(Exception):
    pass


def snapshot_params(*, endpoint: str, authors: Iterable[str] | None, limit: int | None, since: str | None,
                    sort: str, page_size: int) -> dict[str, Any]:
    return {"endpoint": endpoint, "authors": list(authors or []), "limit": limit, "since": since,
            "sort": sort, "page_size": page_size, "expand": EXPAND}


def _parse_since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        d = datetime.fromisoformat(since)
    except ValueError:
        raise UserError(f"--since '{since}' is not a date", "write it as YYYY-MM-DD") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def take_snapshot(store: SnapshotStore, *, limit: int | None = None, authors: Iterable[str] | None = None,
                  since: str | None = None, sort: str = "downloads", page_size: int = 100,
                  endpoint: str | None = None, token: bool | str | None = None, max_retries: int = 5,
                  base_wait: float = 1.0, max_wait: float = 60.0, fresh: bool = False, pace: float = 0.0,
                  progress: Callable[[str], None] | None = None) -> SnapshotResult:
    """Take (or resume) a snapshot of Hub model metadata and store it page by page.

    `pace` is the least time between two page requests, in seconds (0.6 keeps an anonymous client under
    the Hub's ~500 calls per 5 minutes before any 429 is needed). `limit` caps the models kept per
    listing: the whole Hub when no `authors` are given, else each author. `since` keeps models created
    on or after that date (models with no creation date are kept and shown as unknown); with
    `sort="created_at"` the listing stops at the first older model.
    """
    if sort not in SORTS:
        raise UserError(f"unknown sort '{sort}'", f"use one of: {', '.join(SORTS)}")
    if limit is not None and limit < 1:
        raise UserError("--limit must be at least 1", "omit it to list every model (slow: ~2M models)")
    if not 1 <= page_size <= 1000:
        raise UserError("page size must be between 1 and 1000", "the Hub serves at most 1000 models per page")
    client = HubClient(endpoint, token=token, max_retries=max_retries, base_wait=base_wait, max_wait=max_wait)
    since_dt = _parse_since(since)
    listings: list[str | None] = list(authors or []) or [None]
    params = snapshot_params(endpoint=client.endpoint, authors=authors, limit=limit, since=since, sort=sort,
                             page_size=page_size)
    say = progress or (lambda _msg: None)

    previous = None if fresh else store.resumable(params)
    if previous is not None:
        sid = previous.id
        cursor = previous.cursor or {"listing": 0, "next": None}
        say(f"resuming snapshot {sid}: {previous.models} models in {previous.pages} pages already saved")
    else:
        sid = store.create(params)
        cursor = {"listing": 0, "next": None}
    pages = 0
    added = 0
    last_request = 0.0
    try:
        for li in range(int(cursor.get("listing", 0)), len(listings)):
            author = listings[li]
            nxt: str | None = cursor.get("next") if li == int(cursor.get("listing", 0)) else None
            have = store.count(sid, li)
            first = nxt is None
            while True:
                remaining = None if limit is None else limit - have
                if remaining is not None and remaining <= 0:
                    break
                if first:
                    first_q: dict[str, Any] = {"sort": SORTS[sort], "limit": min(page_size, remaining or page_size),
                                               "expand": EXPAND}
                    if author:
                        first_q["author"] = author
                    q: dict[str, Any] | None = first_q
                    url = f"{client.endpoint}/api/models"
                    first = False
                else:
                    assert nxt is not None
                    url, q = next_url(client.endpoint, nxt), None
                wait = last_request + pace - time.monotonic()
                if pages and wait > 0:
                    time.sleep(wait)
                last_request = time.monotonic()
                items, nxt = client.list_page(url, q)
                pages += 1
                page_models: list[HubModel] = []
                older_seen = False
                for item in items:
                    m = _model_from_item(item)
                    if m is None:
                        continue
                    if since_dt is not None and m.created_at is not None and m.created_at < since_dt:
                        older_seen = True
                        continue
                    page_models.append(m)
                if remaining is not None:
                    page_models = page_models[:remaining]
                have += len(page_models)
                stop = (nxt is None or (limit is not None and have >= limit)
                        or (older_seen and sort == "created_at"))
                store.add_page(sid, page_models, {"listing": li + 1, "next": None} if stop
                               else {"listing": li, "next": nxt}, listing=li)
                added += len(page_models)
                say(f"page {pages}: {len(items)} models{f' ({author})' if author else ''}, {have} kept")
                if stop:
                    break
        store.mark(sid, "finished")
    except HubUnreachable as exc:
        store.mark(sid, "interrupted")
        raise unreachable(client.endpoint, str(exc), resumable=store.get(sid).pages > 0) from exc
    except KeyboardInterrupt:
        store.mark(sid, "interrupted")
        raise
    except Exception as exc:
        from huggingface_hub.utils import HfHubHTTPError

        store.mark(sid, "interrupted")
        if isinstance(exc, HfHubHTTPError):
            status = exc.response.status_code if exc.response is not None else None
            if status == 429:
                raise UserError(f"the Hub is rate-limiting this machine (HTTP 429 after {max_retries} retries); "
                                f"snapshot {sid} saved {store.count(sid)} models so far",
                                "wait a few minutes (or log in with `hf auth login` for a higher quota) and "
                                "re-run the same command: it resumes where it stopped") from exc
            raise UserError(f"the Hub answered HTTP {status} for {client.endpoint}/api/models; snapshot {sid} "
                            "is saved as interrupted", "re-run the same command to resume") from exc
        raise
    row = store.get(sid)
    return SnapshotResult(snapshot_id=sid, resumed=previous is not None, pages_fetched=pages, models_added=added,
                          models_total=row.models, status=row.status)


def _model_from_item(item: Any) -> HubModel | None:
    """One `/api/models` item -> HubModel, through huggingface_hub's `ModelInfo` parser."""
    from huggingface_hub import ModelInfo

    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None  # no id: nothing to attach it to
    data = dict(item)
    data.setdefault("siblings", None)
    try:
        info = ModelInfo(**data)
    except (KeyError, TypeError, ValueError):
        # A field in a shape ModelInfo does not accept (e.g. safetensors without `total`): keep the
        # model with the fields we can read rather than losing it.
        for key in ("safetensors", "inferenceProviderMapping", "evalResults", "transformersInfo", "siblings"):
            data.pop(key, None)
        info = ModelInfo(**data)
    return from_model_info(info)


def fetch_model(model_id: str, *, endpoint: str | None = None, token: bool | str | None = None,
                with_card: bool = True) -> HubModel:
    """One model's metadata (and README, for the openness rule) straight from the Hub. Network."""
    from huggingface_hub.utils import HfHubHTTPError

    client = HubClient(endpoint, token=token, max_retries=2)
    try:
        info = client.model_info(model_id)
        model = from_model_info(info)
        if with_card:
            model.card_text = client.card_text(model_id)
    except HubUnreachable as exc:
        raise unreachable(client.endpoint, str(exc), need=LOOKUP) from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 404):
            raise UserError(f"the Hub has no public model '{model_id}'",
                            "check the id (owner/name); gated or private models need a token") from exc
        raise UserError(f"the Hub answered HTTP {status} for '{model_id}'", "try again later") from exc
    return model


def fetch_cards(store: SnapshotStore, snapshot_id: int, *, top: int = 100, endpoint: str | None = None,
                token: bool | str | None = None, pace: float = 0.0, max_retries: int = 5,
                progress: Callable[[str], None] | None = None) -> int:
    """Read the README of the `top` most downloaded (30-day) models of a snapshot, for the openness rule's
    "training code linked". Resumable: READMEs already stored are not fetched again. Returns how many were
    fetched now. A model without a README is stored as empty (its code link is then known: no)."""
    say = progress or (lambda _msg: None)
    client = HubClient(endpoint, token=token, max_retries=max_retries)
    have = store.cards(snapshot_id)
    models = sorted(store.models(snapshot_id), key=lambda m: (-(m.downloads_30d or 0), m.model_id))[:top]
    todo = [m.model_id for m in models if m.model_id not in have]
    fetched = 0
    last = 0.0
    for mid in todo:
        wait = last + pace - time.monotonic()
        if fetched and wait > 0:
            time.sleep(wait)
        last = time.monotonic()
        try:
            text = client.card_text(mid, missing="")
        except HubUnreachable as exc:
            raise unreachable(client.endpoint, str(exc), resumable=True) from exc
        except Exception as exc:
            from huggingface_hub.utils import HfHubHTTPError

            if isinstance(exc, HfHubHTTPError):
                status = exc.response.status_code if exc.response is not None else None
                raise UserError(f"the Hub answered HTTP {status} for the README of '{mid}'; {fetched} README(s) "
                                "saved so far", "re-run the same command: READMEs already read are kept") from exc
            raise
        store.add_card(snapshot_id, mid, text or "")
        fetched += 1
    say(f"READMEs: {fetched} fetched now, {len(have)} already stored (top {top} models by 30-day downloads)")
    return fetched
