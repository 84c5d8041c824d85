"""Request/response hooks referenced by dotted path in the tracing tests."""


def on_request(span, request) -> None:
    span.set_attribute("tenant", request.headers.get("X-Tenant", ""))


def on_response(span, request, response) -> None:
    span.set_attribute("response.bytes", len(response.content))


def broken(span, request) -> None:
    raise RuntimeError("hook bug")
