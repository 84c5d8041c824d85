"""Every panel and recording rule shows data when the real Prometheus scrapes the example.

The whole example runs (gunicorn with two workers in multiprocess mode, the gRPC server,
the Kafka consumer, a prefork Celery worker, on PostgreSQL with its pool, Redis, a Tansu
broker and an OpenID provider), each process scraped by Debian's Prometheus, which loads
the rule file ``manage.py axiomod_observability export`` writes. Traffic then does what a
day of a real service does, cheaply: reads and writes, a settlement across every
transport, 4xx and 5xx answers, bearer tokens good and bad, slow queries (the threshold
at 0), a poison message that ends in the dead-letter topic, a job that fails.

Each panel's queries run as Grafana would run them (the dashboard variables
substituted). A panel left empty fails the test unless it declares ``quiet`` (what
makes it show data, which this traffic does not provoke); those are listed in the
output. A recording rule left empty fails the test when every series it reads exists:
then its label matchers or buckets are wrong.

With ``AXIOMOD_DASHBOARD_PICTURE=<path.svg>`` the test also draws the overview dashboard
from Prometheus' range queries (the picture in docs/observability-guide.md), after
``AXIOMOD_DASHBOARD_PICTURE_SECONDS`` (default 120) of steady traffic.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from axiomod.observability import Recording, contributions, resolve, runnable
from axiomod.observability.export import paths, render
from axiomod.testing.ports import free_port
from tests.example.stack import WAIT, ExampleStack, example_broker, example_stack  # noqa: F401
from tests.jobs.conftest import jobs_redis  # noqa: F401  (the jobs tests' Redis databases)
from tests.observability.picture import charts_from, svg

pytestmark = pytest.mark.integration

SERVICE = "invoices"
#: Lower than the default so that the 5xx this traffic provokes is an alert.
OVERRIDES = {"http_5xx_ratio": 0.01}
#: Quiet panels the traffic does provoke, late: the failing job fails after its retries.
PROVOKED = ("Jobs / Failures", "Jobs / Retries")
#: The processes with no HTTP server of their own serve the scrape on a port.
METRICS_PROCESSES = ("grpc", "consumer", "worker")
CLIENT_ID = "invoices-api"


def test_every_panel_and_recording_rule_has_data(
    example_broker,  # noqa: F811  (the fixture imported above)
    jobs_redis,  # noqa: F811
    postgres_database,
    oidc_provider,
    prometheus_server,
    tmp_path,
):
    rules_file = write_rule_file(tmp_path)
    ports = {name: free_port() for name in METRICS_PROCESSES}
    (tmp_path / "worker-metrics").mkdir()
    env = {
        "DATABASE_URL": postgres_database,
        "KAFKA_BOOTSTRAP_SERVERS": example_broker.address,
        "CELERY_BROKER_URL": jobs_redis.broker,
        "CELERY_RESULT_BACKEND": jobs_redis.broker,
        "OIDC_ISSUER": oidc_provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "SLOW_QUERY_MS": "0",  # every query counts as slow: the slow-query panels fill
        "PYTHONUNBUFFERED": "1",
    }
    per_process = {name: {"METRICS_PORT": str(port)} for name, port in ports.items()}
    # The worker's prefork children write their samples where its main process reads.
    per_process["worker"]["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "worker-metrics")
    with example_stack(env, tmp_path, per_process=per_process, gunicorn_workers=2) as stack:
        targets = [f"127.0.0.1:{stack.server.port}", *(f"127.0.0.1:{p}" for p in ports.values())]
        prometheus = prometheus_server(targets, rule_files=[rules_file])
        # Prometheus applies its targets a few seconds after it starts: scrape all first.
        every = f"count(up == 1) == {len(targets)}"
        assert prometheus.wait_for(every, timeout=WAIT), prometheus.query("up")
        started = time.time()
        traffic(stack, oidc_provider, example_broker)
        picture = os.environ.get("AXIOMOD_DASHBOARD_PICTURE")
        if picture:
            steady(stack, float(os.environ.get("AXIOMOD_DASHBOARD_PICTURE_SECONDS", "120")))
        # The gRPC server goes away for a few seconds: the HTTP edge answers 503. Spread
        # over a few scrapes, as rate() sees no increase in a series' first sample.
        assert prometheus.wait_for('grpc_requests_total{method="SettleInvoice"}', timeout=WAIT)
        stack.grpc.stop()
        for _ in range(10):
            answer = stack.server.request("POST", "/invoices/1/settle/")
            assert answer.status == 503, answer.body
            time.sleep(0.5)
        stack.grpc.start()  # back on its port, for the panels' rate windows
        report = wait_for_panels(prometheus, lambda: keep_alive(stack))
        print(report.summary())  # the panels left empty on purpose, and why
        if picture:
            draw_overview(prometheus, Path(picture), started)
            return  # steady traffic dilutes the 503s below the alert's threshold
        alerts = wait_for_alert(prometheus, "HttpErrorRatioHigh")

    assert not report.broken, f"{report.summary()}\n{stack.logs()}"
    assert not report.broken_rules, report.summary()
    assert set(PROVOKED) <= set(report.filled), report.summary()
    assert {a["metric"]["alertstate"] for a in alerts} <= {"pending", "firing"}, alerts


def write_rule_file(tmp_path: Path) -> Path:
    """The rule file the export command writes for the example (one threshold lowered)."""
    files = render(settings.INSTALLED_APPS, SERVICE, OVERRIDES)
    target = tmp_path / paths(SERVICE)[2]
    target.parent.mkdir(parents=True)
    target.write_text(files[paths(SERVICE)[2]])
    return target


def traffic(stack: ExampleStack, provider, broker) -> None:
    """What a day of a real service does, once each, cheaply."""
    server = stack.server
    for _ in range(20):
        assert server.request("GET", "/invoices/").status == 200
    created = []
    for amount in ("10.00", "20.00", "30.00"):
        answer = server.request(
            "POST", "/invoices/", {"customer": "acme", "amount": amount, "currency": "EUR"}
        )
        assert answer.status == 201, answer.body
        created.append(answer.json()["id"])
    assert server.request("POST", "/invoices/", {"customer": ""}).status == 400
    assert server.request("GET", "/invoices/999999/").status == 404
    assert server.request("GET", "/ready").status == 200
    # The billing consumer issues them; then one is settled across every transport.
    wait_until(lambda: status_of(server, created[0]) == "issued", stack)
    assert server.request("POST", f"/invoices/{created[0]}/settle/").status == 202
    assert server.request("POST", "/invoices/999999/settle/").status == 404  # gRPC NOT_FOUND
    wait_until(lambda: status_of(server, created[0]) == "paid", stack)
    # Bearer tokens: verified against the provider's keys, and one refused.
    token = provider.token()
    for _ in range(3):
        answer = server.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200, answer.body
    refused = server.request("GET", "/me", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status == 401
    # A poison message: not JSON, so it is dead-lettered, never retried forever.
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker.address})
    producer.produce("invoices.created", b"\xff not json")
    assert producer.flush(10) == 0
    # A job that fails: an id that is not one (retried with back-off, then failed).
    from celery import Celery

    Celery(broker=stack.worker.env["CELERY_BROKER_URL"]).send_task(
        "invoices.close_settled", args=["not-an-id"], queue="default"
    )


def steady(stack: ExampleStack, seconds: float) -> None:
    """Traffic at a steady pace for the picture: reads, writes, gRPC calls, a few refusals."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        stack.server.request("GET", "/invoices/")
        if n % 5 == 0:
            stack.server.request(
                "POST", "/invoices/", {"customer": "acme", "amount": "5.00", "currency": "EUR"}
            )
        if n % 3 == 0:  # through the gRPC service: refused, NOT_FOUND
            stack.server.request("POST", "/invoices/999999/settle/")
        if n % 17 == 0:
            stack.server.request("GET", "/invoices/999999/")
        time.sleep(0.05)


def status_of(server, invoice: int) -> str | None:
    return server.request("GET", f"/invoices/{invoice}/").json().get("status")


def wait_until(condition, stack: ExampleStack) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"the example did not get there in {WAIT} s\n{stack.logs()}")
        time.sleep(0.2)


class Report:
    """Which panels and recording rules returned data, and why the others did not."""

    def __init__(self) -> None:
        self.filled: list[str] = []
        self.quiet: list[tuple[str, str]] = []  # (panel, what would fill it)
        self.broken: list[str] = []
        self.rules_filled: list[str] = []
        self.quiet_rules: list[tuple[str, str]] = []  # (record, the input no traffic made)
        self.broken_rules: list[str] = []

    def summary(self) -> str:
        lines = [
            f"panels with data: {len(self.filled)}; recording rules with data: "
            f"{len(self.rules_filled)}",
            f"panels empty on purpose ({len(self.quiet)}):",
            *(f"  - {panel}: {why}" for panel, why in self.quiet),
            f"recording rules empty for want of input ({len(self.quiet_rules)}):",
            *(f"  - {record}: {why}" for record, why in self.quiet_rules),
        ]
        if self.broken:
            lines += ["PANELS EMPTY WITH NO REASON:", *(f"  - {p}" for p in self.broken)]
        if self.broken_rules:
            lines += ["RULES EMPTY OVER EXISTING SERIES:", *(f"  - {r}" for r in self.broken_rules)]
        return "\n".join(lines)


def survey(prometheus) -> Report:
    found = contributions(settings.INSTALLED_APPS)
    params, problems = resolve(found, OVERRIDES)
    assert not problems, problems
    names = prometheus.names()
    report = Report()
    for contribution in found:
        for row in contribution.monitoring.rows(params):
            for panel in row.panels:
                title = f"{row.title} / {panel.title}"
                if any(prometheus.query(runnable(q.expr)) for q in panel.queries):
                    report.filled.append(title)
                elif panel.quiet:
                    report.quiet.append((title, panel.quiet))
                else:
                    report.broken.append(title)
        for group in contribution.monitoring.rules(params):
            for rule in group.rules:
                if not isinstance(rule, Recording):
                    continue
                if prometheus.query(rule.record):
                    report.rules_filled.append(rule.record)
                    continue
                missing = sorted(metric_names(rule.expr) - names)
                if missing:
                    report.quiet_rules.append((rule.record, f"no {', '.join(missing)} yet"))
                else:
                    report.broken_rules.append(f"{rule.record} = {rule.expr}")
    return report


METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[)")


def metric_names(expr: str) -> set[str]:
    """The series names an expression selects (an identifier right before ``{`` or ``[``)."""
    return {name for name in METRIC.findall(expr) if name not in {"by", "without", "on"}}


def keep_alive(stack: ExampleStack) -> None:
    """A read and a refused settlement (HTTP and gRPC) while the survey waits.

    503 until the edge's channel has reconnected to the restarted gRPC server (grpcio
    backs off between attempts).
    """
    assert stack.server.request("GET", "/invoices/").status == 200
    assert stack.server.request("POST", "/invoices/999999/settle/").status in (404, 503)


def wait_for_panels(prometheus, between: Callable[[], None]) -> Report:
    """Survey until every panel without ``quiet`` (and each of :data:`PROVOKED`) has data,
    or ``WAIT`` seconds went by.

    The samples of the last requests take a scrape (1 s) and the recording rules an
    evaluation (1 s) to appear; a rate over them needs two samples.
    """
    deadline = time.monotonic() + WAIT
    while True:
        report = survey(prometheus)
        done = not report.broken and not report.broken_rules
        if (done and set(PROVOKED) <= set(report.filled)) or time.monotonic() > deadline:
            return report
        between()
        time.sleep(2)


def wait_for_alert(prometheus, name: str) -> list[dict]:
    """The ``ALERTS`` series of ``name`` once the rule has seen the 5xx answers."""
    alerts = prometheus.wait_for(f'ALERTS{{alertname="{name}"}}', timeout=WAIT)
    assert alerts, f"{name} never pending nor firing: {prometheus.query('ALERTS')}"
    return alerts


def draw_overview(prometheus, path: Path, started: float) -> None:
    found = contributions(settings.INSTALLED_APPS)
    params, _ = resolve(found, OVERRIDES)
    panels = [
        panel
        for contribution in found
        for row in contribution.monitoring.rows(params)
        if row.dashboard == "overview"
        for panel in row.panels
    ]
    charts = charts_from(prometheus, panels, started, time.time(), 2.0)
    path.write_text(svg(f"{SERVICE} overview (from the real Prometheus)", charts))
