"""``axiomod generate module --async-views``: the same API, served by ``async def`` views.

Two throwaway projects, one generated without the option and one with it, both behind
the example service's middleware stack (metrics, tracing, domain errors, sessions, CSRF,
authentication, bearer tokens). The async module must differ from the sync one only in
its views and their tests, pass ruff and its own generated tests, and answer every
request of one script exactly as the sync module does: the sync module through Django's
test ``Client`` (WSGI, how it is served today) is the reference; the async module is
called through ``AsyncClient`` (Django's ASGI request path, ``get_response_async``) and
through ``Client``. Under ASGI its views must be coroutine functions that Django awaits
as they are: every callable handed to ``asgiref``'s ``SyncToAsync`` during a request is
recorded, so an adapted view would show up there (the sync module under ``AsyncClient``
is the control that shows it does), and so does the one use case call per request.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from example import settings as example_settings
from tests.scaffold.project import Project, ruff

pytestmark = pytest.mark.integration

VARIANTS = {"sync": [], "async": ["--async-views"]}

#: The example service's stack (example/settings.py), so the views are judged behind the
#: middlewares a real service runs, each of which must keep its answer for async views.
STACK = f"""
import os

INSTALLED_APPS += ["django.contrib.sessions", "axiomod_metrics", "axiomod_auth"]
MIDDLEWARE = {example_settings.MIDDLEWARE!r}
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
# One database file per script run, so every run starts from id 1.
DATABASES["default"]["NAME"] = os.environ.get("SHOP_DB", DATABASES["default"]["NAME"])
"""

URLS = """\
from django.urls import include, path

from axiomod.views import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [path("billing/", include("shop.billing.delivery.http.urls"))]
"""

#: (label, method, path, data, content type, headers): the same script for every run.
SCRIPT = r'''
import asyncio
import datetime as dt
import inspect
import json

import django
from asgiref import sync

django.setup()

from django.core.management import call_command
from django.db import connections
from django.test import AsyncClient, Client
from django.urls import resolve

REQUESTS = [
    ("create", "post", "/billing/", {"name": "first"}, "application/json", {}),
    ("get", "get", "/billing/1/", None, None, {}),
    ("list", "get", "/billing/", {"limit": "10"}, None, {}),
    ("head", "head", "/billing/", None, None, {}),
    ("options", "options", "/billing/1/", None, None, {}),
    ("blank name", "post", "/billing/", {"name": " "}, "application/json", {}),
    ("unknown field", "post", "/billing/", {"nmae": "typo"}, "application/json", {}),
    ("not json", "post", "/billing/", b"{not json", "application/json", {}),
    ("lone surrogate", "post", "/billing/", b'{"name": "a\\ud800b"}', "application/json", {}),
    ("text/plain", "post", "/billing/", b'{"name": "x"}', "text/plain", {}),
    ("too large", "post", "/billing/", {"name": "x" * 2000}, "application/json", {}),
    ("limit 0", "get", "/billing/", {"limit": "0"}, None, {}),
    ("limit abc", "get", "/billing/", {"limit": "abc"}, None, {}),
    ("unknown id", "get", "/billing/999999/", None, None, {}),
    ("no route", "get", "/billing/abc/", None, None, {}),
    ("delete", "delete", "/billing/1/", None, None, {}),
    ("bad token", "get", "/billing/", None, None, {"Authorization": "Bearer not-a-jwt"}),
    ("second", "post", "/billing/", {"name": "second"}, "application/json", {}),
    ("page 2", "get", "/billing/", {"limit": "1", "offset": "1"}, None, {}),
]
HEADERS = ("Content-Type", "Allow", "Location", "WWW-Authenticate")

wrapped = []
original = sync.SyncToAsync.__init__


def spying(self, func, *args, **kwargs):
    wrapped.append(func)
    original(self, func, *args, **kwargs)


sync.SyncToAsync.__init__ = spying
VIEWS = {resolve("/billing/").func, resolve("/billing/1/").func}


def normalised(value):
    """created_at differs between runs: checked to be ISO 8601, then replaced."""
    if isinstance(value, dict):
        out = {key: normalised(item) for key, item in value.items()}
        if "created_at" in out:
            dt.datetime.fromisoformat(value["created_at"])
            out["created_at"] = "<iso>"
        return out
    if isinstance(value, list):
        return [normalised(item) for item in value]
    return value


def record(label, response, hops):
    try:
        body = normalised(json.loads(response.content))
    except ValueError:
        body = response.content.decode()
    return {
        "request": label,
        "status": response.status_code,
        "headers": {name: response.get(name) for name in HEADERS},
        "body": body,
        "view_adapted": any(func in VIEWS for func in hops),
        "use_case_calls": sorted(
            func.__qualname__ for func in hops if getattr(func, "__name__", "") == "execute"
        ),
    }


def arguments(data, content_type, headers):
    kwargs = {"headers": headers}
    if content_type:
        kwargs["content_type"] = content_type
    return ((data,) if data is not None else ()), kwargs


def run_wsgi():
    client = Client(enforce_csrf_checks=True)
    out = []
    for label, method, path, data, content_type, headers in REQUESTS:
        args, kwargs = arguments(data, content_type, headers)
        del wrapped[:]
        response = getattr(client, method)(path, *args, **kwargs)
        out.append(record(label, response, list(wrapped)))
    return out


async def run_asgi():
    client = AsyncClient(enforce_csrf_checks=True)
    out = []
    for label, method, path, data, content_type, headers in REQUESTS:
        args, kwargs = arguments(data, content_type, headers)
        del wrapped[:]
        response = await getattr(client, method)(path, *args, **kwargs)
        out.append(record(label, response, list(wrapped)))
    return out


call_command("migrate", verbosity=0, interactive=False)
wsgi = run_wsgi()
# Empty again, sequences included, so the ASGI run starts from id 1 too.
call_command("flush", verbosity=0, interactive=False)
connections.close_all()
asgi = asyncio.run(run_asgi())
print(json.dumps({
    "coroutine": {
        path: [inspect.iscoroutinefunction(func), sync.iscoroutinefunction(func)]
        for path in ("/billing/", "/billing/1/")
        for func in [resolve(path).func]
    },
    "wsgi": wsgi,
    "asgi": asgi,
}))
'''

#: What the reference (the sync module under WSGI) answers: status per request.
EXPECTED_STATUS = {
    "create": 201,
    "get": 200,
    "list": 200,
    "head": 200,
    "options": 200,
    "blank name": 400,
    "unknown field": 400,
    "not json": 400,
    "lone surrogate": 400,
    "text/plain": 415,
    "too large": 413,
    "limit 0": 400,
    "limit abc": 400,
    "unknown id": 404,
    "no route": 404,
    "delete": 405,
    "bad token": 401,
    "second": 201,
    "page 2": 200,
}
#: Requests that reach a use case, and the one call each makes.
USE_CASE_CALLS = {
    "create": ["CreateBilling.execute"],
    "get": ["GetBilling.execute"],
    "list": ["ListBilling.execute"],
    "head": ["ListBilling.execute"],
    "blank name": ["CreateBilling.execute"],
    "lone surrogate": ["CreateBilling.execute"],
    "limit 0": ["ListBilling.execute"],
    "unknown id": ["GetBilling.execute"],
    "second": ["CreateBilling.execute"],
    "page 2": ["ListBilling.execute"],
}
#: Requests answered by the view (the rest by a middleware or the URL resolver).
REACH_THE_VIEW = set(EXPECTED_STATUS) - {"no route", "bad token"}


def _build(root: Path, variant: str) -> Project:
    project = Project(root / variant)
    result = project.axiomod("generate", "module", "--name", "billing", *VARIANTS[variant])
    assert result.returncode == 0, result.stdout + result.stderr
    project.install("billing")
    settings = project.root / "shop" / "settings.py"
    settings.write_text(settings.read_text() + STACK)
    (project.root / "shop" / "urls.py").write_text(URLS)
    (project.root / "transcript.py").write_text(SCRIPT)
    project.output = result.stdout  # type: ignore[attr-defined]
    return project


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Project]:
    """The sync and the async module, each in a project of its own (built side by side)."""
    root = tmp_path_factory.mktemp("async-views")
    with ThreadPoolExecutor(len(VARIANTS)) as pool:
        built = {variant: pool.submit(_build, root, variant) for variant in VARIANTS}
        return {variant: future.result() for variant, future in built.items()}


def _transcript(project: Project) -> dict:
    env = {**project.env(), "SHOP_DB": str(project.root / "transcript.sqlite3")}
    env["DJANGO_SETTINGS_MODULE"] = "shop.settings"
    done = subprocess.run(
        [sys.executable, "transcript.py"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def transcripts(projects: dict[str, Project]) -> dict[tuple[str, str], dict]:
    """The script's answers per (variant, server): one process per variant, side by side."""
    with ThreadPoolExecutor(len(VARIANTS)) as pool:
        runs = dict(zip(VARIANTS, pool.map(_transcript, projects.values()), strict=True))
    return {
        (variant, server): {"coroutine": run["coroutine"], "transcript": run[server]}
        for variant, run in runs.items()
        for server in ("wsgi", "asgi")
    }


def _files(project: Project) -> dict[str, str]:
    module = project.root / "shop" / "billing"
    return {
        path.relative_to(module).as_posix(): path.read_text()
        for path in sorted(module.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_only_the_views_and_their_tests_differ(projects):
    sync, async_ = _files(projects["sync"]), _files(projects["async"])
    assert set(sync) == set(async_)
    differ = sorted(name for name in sync if sync[name] != async_[name])
    assert differ == ["delivery/http/views.py", "tests/test_http.py"]
    assert "async def" not in sync["delivery/http/views.py"]
    assert async_["delivery/http/views.py"].count("    async def ") == 3  # list, create, get


def test_the_next_steps_say_how_to_serve_async_views(projects):
    assert "axiomod[asgi]" in projects["async"].output
    assert "ATOMIC_REQUESTS" in projects["async"].output
    assert "axiomod[asgi]" not in projects["sync"].output


def test_the_async_module_passes_ruff(projects):
    module = str(projects["async"].root / "shop" / "billing")
    lint = projects["async"].run(
        ruff(), "check", "--no-cache", "--output-format", "concise", module
    )
    assert lint.returncode == 0, lint.stdout
    fmt = projects["async"].run(ruff(), "format", "--check", "--no-cache", module)
    assert fmt.returncode == 0, fmt.stdout


def test_the_generated_tests_pass_with_async_views(projects):
    # Only test_http.py differs from the sync module's tests (test above), which
    # test_generate.py runs with the rest.
    result = projects["async"].run(
        sys.executable, "-m", "pytest", "-q", "-rA", "shop/billing/tests/test_http.py"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "PASSED shop/billing/tests/test_http.py::test_the_views_are_coroutine_functions" in (
        result.stdout
    )
    assert "skipped" not in result.stdout


def test_the_reference_answers_as_the_module_template_promises(transcripts):
    reference = transcripts["sync", "wsgi"]["transcript"]
    assert {entry["request"]: entry["status"] for entry in reference} == EXPECTED_STATUS
    by_request = {entry["request"]: entry for entry in reference}
    assert by_request["create"]["body"] == {"id": 1, "name": "first", "created_at": "<iso>"}
    assert by_request["create"]["headers"]["Location"] == "/billing/1/"
    assert by_request["unknown id"]["body"]["error"] == "not_found"
    assert by_request["blank name"]["body"]["field"] == "name"
    assert by_request["page 2"]["body"]["items"][0]["name"] == "first"


@pytest.mark.parametrize("server", ["asgi", "wsgi"])
def test_async_views_answer_exactly_as_the_sync_ones(transcripts, server):
    def answers(run: dict) -> list[dict]:
        return [
            {key: entry[key] for key in ("request", "status", "headers", "body")}
            for entry in run["transcript"]
        ]

    assert answers(transcripts["async", server]) == answers(transcripts["sync", "wsgi"])


def test_async_views_are_coroutine_functions_that_asgi_never_adapts(transcripts):
    run = transcripts["async", "asgi"]
    # inspect's own test (a real ``async def``) and Django's (asgiref's).
    assert run["coroutine"] == {"/billing/": [True, True], "/billing/1/": [True, True]}
    assert [entry["request"] for entry in run["transcript"] if entry["view_adapted"]] == []
    calls = {entry["request"]: entry["use_case_calls"] for entry in run["transcript"]}
    assert {request: hops for request, hops in calls.items() if hops} == USE_CASE_CALLS


def test_the_control_sync_views_are_adapted_under_asgi(transcripts):
    """The spy sees an adapted view: without this, 'never adapted' would prove nothing."""
    run = transcripts["sync", "asgi"]
    assert run["coroutine"] == {"/billing/": [False, False], "/billing/1/": [False, False]}
    adapted = {entry["request"] for entry in run["transcript"] if entry["view_adapted"]}
    assert adapted == REACH_THE_VIEW
    assert not any(entry["use_case_calls"] for entry in run["transcript"])
