"""The README's tour, as written, turns a ``django-admin startproject`` project into a service.

The tour's code blocks are marked in README.md with ``<!-- tour:KIND -->`` on the line
before the fence: ``settings`` blocks are appended to the project's ``settings.py`` in
order (as a user pastes them below what ``startproject`` wrote; a later assignment wins),
the ``urls`` and ``wsgi`` blocks replace those files, and the ``serve`` block's commands
are run as written (``python`` and ``gunicorn`` from this virtualenv, the port replaced by
a free one). The test then adds a view of the project's own and checks what the tour
promises: that view counted on ``/metrics`` under its route, ``/ready`` 200, the
start-up line of ``axiomod.tracing`` and the request's span on the console.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import BIN, ROOT, ServerProcess, free_port, service_env

README = ROOT / "README.md"
GETTING_STARTED = ROOT / "docs" / "getting-started.md"
TEMPLATE_SETTINGS = (
    ROOT
    / "axiomod/devtools/scaffold/project_template/{{cookiecutter.project_slug}}"
    / "{{cookiecutter.project_slug}}/settings.py"
)
BLOCK = re.compile(r"^<!-- tour:(\w+) -->\n```\w*\n(.*?)\n```", re.M | re.S)
PROJECT = "myservice"

VIEW = """from django.http import JsonResponse


def hello(request, n):
    return JsonResponse({"hello": n})
"""


def tour_blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(README.read_text())


def test_the_tour_is_marked_in_the_readme():
    blocks = tour_blocks()
    kinds = [kind for kind, _ in blocks]
    # settings blocks (appended in order), then urls.py and wsgi.py, then how to serve.
    assert set(kinds) == {"settings", "urls", "wsgi", "serve"}, kinds
    assert kinds.count("urls") == kinds.count("wsgi") == kinds.count("serve") == 1, kinds
    assert kinds[-1] == "serve", kinds
    for kind, code in blocks:
        if kind != "serve":
            compile(code, f"README tour:{kind}", "exec")
    settings = "\n".join(code for kind, code in blocks if kind == "settings")
    for name in ("INSTALLED_APPS", "MIDDLEWARE", "AXIOMOD", "LOGGING"):
        assert re.search(rf"^{name} \+?= ", settings, re.M), name


def test_getting_started_shows_the_tours_middleware_and_logging():
    text = GETTING_STARTED.read_text()
    shared = [code for kind, code in tour_blocks() if code.startswith(("MIDDLEWARE", "LOGGING"))]
    assert len(shared) == 2
    for code in shared:
        assert f"```python\n{code}\n```" in text, code.splitlines()[0]
    assert "land with the following 1.3.0 issues" not in text


def _log_of(logging_config: str, tmp_path: Path) -> str:
    """What a process configured with ``logging_config`` prints for axiomod's INFO line."""
    script = tmp_path / "logging_check.py"
    script.write_text(
        "import logging.config, os\n"
        f"{logging_config}\n"
        "logging.config.dictConfig(LOGGING)\n"
        "logging.getLogger('axiomod.tracing').info('tracing to console (sample ratio 1.0)')\n"
        "logging.getLogger('some.library').info('not shown')\n"
    )
    env = service_env({"LOG_LEVEL": None})
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_the_tours_logging_prints_axiomods_info_lines(tmp_path):
    (code,) = [code for kind, code in tour_blocks() if code.startswith("LOGGING")]
    log = _log_of(code, tmp_path)
    assert "INFO axiomod.tracing tracing to console (sample ratio 1.0)" in log
    assert "not shown" not in log


def test_the_project_templates_logging_prints_axiomods_info_lines(tmp_path):
    match = re.search(r"^LOGGING = \{.*?^\}", TEMPLATE_SETTINGS.read_text(), re.M | re.S)
    assert match, "the project template's settings have no LOGGING"
    log = _log_of(match.group(0), tmp_path)
    assert "INFO axiomod.tracing tracing to console (sample ratio 1.0)" in log


def _commands(serve: str) -> list[tuple[dict[str, str], list[str]]]:
    """The serve block's commands: (leading VAR=value assignments, argv)."""
    commands = []
    for line in serve.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        env = {}
        while "=" in words[0] and not words[0].startswith("-"):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        commands.append((env, words))
    return commands


def _apply_tour(project: Path) -> list[tuple[dict[str, str], list[str]]]:
    package = project / PROJECT
    settings = package / "settings.py"
    serve = None
    for kind, code in tour_blocks():
        if kind == "settings":
            settings.write_text(f"{settings.read_text()}\n\n{code}\n")
        elif kind in ("urls", "wsgi"):
            (package / f"{kind}.py").write_text(f"{code}\n")
        elif kind == "serve":
            serve = code
    assert serve is not None
    # The project's own view, on a route with a converter (counted under its template).
    (package / "views.py").write_text(VIEW)
    urls = package / "urls.py"
    urls.write_text(
        f"{urls.read_text()}\nfrom . import views  # noqa: E402\n\n"
        'urlpatterns += [path("hello/<int:n>/", views.hello)]\n'
    )
    return _commands(serve)


def _run(argv: list[str], project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=180)


@pytest.mark.integration
def test_the_tour_gives_metrics_probes_and_a_console_span(tmp_path):
    # Nothing of this process's tracing or metrics set-up leaks into the project.
    base = service_env({"OTEL_TRACES_EXPORTER": None, "OTEL_SDK_DISABLED": None})
    created = _run([str(BIN / "django-admin"), "startproject", PROJECT], tmp_path, base)
    assert created.returncode == 0, created.stderr
    project = tmp_path / PROJECT
    commands = _apply_tour(project)

    checked = _run([sys.executable, "manage.py", "check"], project, base)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout, checked.stdout + checked.stderr

    server = None
    for env, argv in commands:
        if argv[:2] == ["python", "manage.py"]:
            done = _run([sys.executable, *argv[1:]], project, {**base, **env})
            assert done.returncode == 0, done.stdout + done.stderr
        elif argv[0] == "gunicorn":
            port = free_port()
            bind = argv.index("--bind") + 1
            argv = [str(BIN / "gunicorn"), *argv[1:bind], f"127.0.0.1:{port}", *argv[bind + 1 :]]
            # The README's variables on this process's environment, less what would
            # turn tracing off behind the README's back.
            server_env = {"OTEL_SDK_DISABLED": None, **env}
            server = ServerProcess(argv, port, server_env, tmp_path / "server.log", cwd=project)
        else:
            pytest.fail(f"the tour's serve block has a command this test cannot run: {argv}")
    assert server is not None, "the tour's serve block starts no gunicorn"

    server.start(probe="/live")  # environment: this process's, less DJANGO_SETTINGS_MODULE
    try:
        assert server.request("GET", "/hello/7/").json() == {"hello": 7}
        ready = server.request("GET", "/ready")
        assert ready.status == 200, ready.body
        metrics = server.request("GET", "/metrics").body.decode()
        span = _wait_for(server, '"name": "GET /hello/<int:n>/"')
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert 'http_requests_total{method="GET",path="/hello/<int:n>/",status="200"} 1.0' in (
        metrics
    ), metrics
    assert "INFO axiomod.tracing tracing to console (sample ratio 1.0)" in log, log[-3000:]
    assert span, log[-3000:]
    assert '"http.route": "/hello/<int:n>/"' in log
    assert '"service.name": "myservice"' in log
    # Probes and scrapes are neither counted nor traced.
    assert 'path="/ready"' not in metrics
    assert '"name": "GET /ready"' not in log


def _wait_for(server: ServerProcess, text: str, timeout: float = 10) -> bool:
    """Whether ``text`` shows in the server's log within ``timeout`` s (spans print at end)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.log_path.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False
