"""Where a curation index lives, as a string: a directory, or a Redis URL (`redis://`,
`rediss://` for TLS, `unix://` for a socket) with seedforge's `prefix` query option. A URL may
carry a password: `shown_location` is the form every message, log and report uses.

Imports no Redis client, so naming and showing a location stays cheap."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from pipeline.settings import data_dir, settings

REDIS_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_PREFIX = "seedforge"
MASK = "***"


def is_redis_location(location: str) -> bool:
    return urlsplit(location).scheme in REDIS_SCHEMES and "://" in location


def split_query(location: str) -> tuple[str, list[tuple[str, str]]]:
    """The location before its query, and the query's options (decoded)."""
    head, _, query = location.partition("?")
    return head, parse_qsl(query, keep_blank_values=True)


def join_query(head: str, options: list[tuple[str, str]]) -> str:
    """`split_query` undone (urlunsplit would turn unix:///path into unix:/path)."""
    query = urlencode(options, safe="*/:")
    return f"{head}?{query}" if query else head


def shown_location(location: str) -> str:
    """The location with its password (in the user part or a `password=` option) as ***."""
    if not is_redis_location(location):
        return location
    head, options = split_query(location)
    scheme, _, rest = head.partition("://")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        head = f"{scheme}://{userinfo.partition(':')[0]}:{MASK}@{hostport}{slash}{path}"
    if any(key == "password" for key, _ in options):
        return join_query(head, [(key, MASK if key == "password" else value) for key, value in options])
    return head + location[len(location.partition("?")[0]) :]


def with_dataset_prefix(url: str, dataset_name: str) -> str:
    """One machine-wide Redis URL serves every dataset: each gets its own key prefix,
    `PREFIX:NAME` (PREFIX: the URL's `prefix` option, else "seedforge")."""
    head, options = split_query(url)
    base = next((value for key, value in options if key == "prefix"), DEFAULT_PREFIX)
    kept = [(key, value) for key, value in options if key != "prefix"]
    return join_query(head, [*kept, ("prefix", f"{base}:{dataset_name}")])


def index_location_for(dataset_name: str) -> str:
    """The index of a dataset's builds: SEEDFORGE_REDIS_URL with the dataset's key prefix when
    it is set, else the directory DATA_DIR/index/NAME. The URL may hold a password: pass it to
    `open_index`, show it only through `shown_location`."""
    redis_url = settings().redis_url
    if redis_url is not None and redis_url.get_secret_value().strip():
        return with_dataset_prefix(redis_url.get_secret_value().strip(), dataset_name)
    return str(data_dir() / "index" / dataset_name)
