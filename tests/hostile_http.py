"""Hostile HTTP requests for property-based tests of JSON endpoints, and the property.

The property every ``axiomod.views.JsonView`` endpoint must hold, whatever a client sends
(body, query string, headers, method, Content-Type): never a 5xx, and always a JSON body
(``HEAD`` has no body by definition; an ``OPTIONS`` 200 answers with ``Allow`` and no
body). The strategies mix valid requests with the inputs that broke it before: huge
exponents, lone surrogates, odd digits, deep nesting, non-JSON content types, unknown
hosts, ids beyond 64 bits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

# JSON fragments written by hand: what json.dumps would never produce, and edge numbers.
RAW_FRAGMENTS = [
    "1e9999999999999999999",
    "-1e-9999999999999999999",
    "1e400",
    "1E+2",
    "1.5e1",
    "0.1e-999999",
    "12.50",
    "-0",
    "0.000000001",
    "9" * 30,
    "9" * 5000,
    "NaN",
    "Infinity",
    "-Infinity",
    '"\\ud800"',
    '"a\\udfffb"',
    '"\\u0000"',
    '"\\u0665"',
    '"5_000"',
    '"1e5"',
    '" 12.50 "',
    '"\\ud83d\\ude00"',
    "[" * 50 + "]" * 50,
    "{}",
    "[]",
    "null",
    "true",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
# A value as JSON text: encoded by json (sometimes with non-ASCII left raw) or a raw fragment.
json_fragments = st.one_of(
    json_values.map(lambda value: json.dumps(value, default=str)),
    json_values.map(lambda value: json.dumps(value, default=str, ensure_ascii=False)),
    st.sampled_from(RAW_FRAGMENTS),
)


def object_bodies(fields: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """JSON objects using the endpoint's field names (and a stray key now and then), each
    value either plausible (``fields``) or hostile, plus arbitrary bytes and text."""
    names = [*fields, "extra"]

    def member(name: str) -> st.SearchStrategy[str]:
        plausible = fields.get(name, json_values).map(lambda v: json.dumps(v, default=str))
        return st.one_of(plausible, json_fragments).map(lambda text: f"{json.dumps(name)}: {text}")

    objects = st.lists(st.sampled_from(names), unique=True).flatmap(
        lambda chosen: st.tuples(*(member(name) for name in chosen))
    )
    return st.one_of(
        objects.map(
            lambda members: ("{" + ", ".join(members) + "}").encode("utf-8", "surrogatepass")
        ),
        json_fragments.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    )


content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/json; charset=nonsense",
            "application/problem+json",
            "APPLICATION/JSON",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/jsonx",
            "",
            ";",
            "application/json; =",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
)

# Query strings as a client could send them: known and unknown names, any value, raw
# percent-escapes (invalid UTF-8 included).
_query_names = st.sampled_from(["limit", "offset", "page", "", "limit[]"]) | st.text(max_size=8)
_query_values = st.one_of(
    st.sampled_from(["1", "0", "-1", "50", "1e3", "1_0", "\u0663", "9" * 40, " 5", "5 ", ""]),
    st.text(max_size=20),
    st.integers().map(str),
)
query_strings = st.one_of(
    st.lists(st.tuples(_query_names, _query_values), max_size=5).map(
        lambda pairs: "&".join(f"{_quote(name)}={_quote(value)}" for name, value in pairs)
    ),
    st.binary(max_size=40).map(lambda raw: "".join(f"%{byte:02X}" for byte in raw)),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text.encode("utf-8", "surrogatepass"), safe="")


# Header values as a WSGI server hands them over: latin-1 text without CR/LF.
_header_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=120),
    st.sampled_from(
        [
            "Bearer x",
            "Bearer " + "a" * 100,
            "Bearer a.b.c",
            "Basic Zm9vOmJhcg==",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-0000000000000000-01",
            "=,=,=,=",
            "gzip, deflate, br",
            "*/*",
            "sessionid=abc; csrftoken=x",
            "https://evil.example",
            "chunked",
        ]
    ),
)
_header_names = st.sampled_from(
    [
        "Host",
        "Authorization",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Cookie",
        "Origin",
        "Referer",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "X-Forwarded-Host",
        "X-Request-Id",
        "traceparent",
        "tracestate",
        "baggage",
        "If-None-Match",
        "If-Modified-Since",
        "Range",
        "Transfer-Encoding",
        "User-Agent",
    ]
) | st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z")
headers = st.dictionaries(_header_names, _header_values, max_size=6)

methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]) | (
    st.from_regex(r"\A[A-Z]{1,10}\Z")
)

# Path ids for <int:pk> routes: small, at the 64-bit edge and far beyond it.
ids = st.one_of(
    st.integers(min_value=0, max_value=1000),
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**30]),
    st.integers(min_value=0),
)


def send(
    client: Any,
    method: str,
    path: str,
    query: str,
    body: bytes,
    content_type: str,
    header_map: Mapping[str, str],
) -> Any:
    """Send one request through Django's test client, exactly as given."""
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in header_map.items()}
    return client.generic(
        method,
        f"{path}?{query}" if query else path,
        data=body,
        content_type=content_type,
        **extra,
    )


def assert_answered_in_json(response: Any, method: str) -> None:
    """The property: no 5xx, and a JSON body whenever there is a body to send."""
    described = f"{response.status_code} {response.get('Content-Type')} {response.content[:300]!r}"
    assert response.status_code < 500, described
    if method == "HEAD" or (method == "OPTIONS" and response.status_code == 200):
        return
    assert response["Content-Type"] == "application/json", described
    json.loads(response.content)
