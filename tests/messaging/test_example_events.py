"""The example service end to end: an HTTP POST publishes ``invoices.created`` from a
gunicorn worker, and the billing consumer (``axiomod_consume``) issues the invoice."""

from __future__ import annotations

import time

from tests.servers import gunicorn, manage

from .consumers import ConsumerProcess


def test_created_invoices_are_issued_by_the_billing_consumer(kafka_broker, tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.address,
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    kafka_broker.create_topic("invoices.created", partitions=2)
    consumer = ConsumerProcess(
        kafka_broker.address,
        "invoices.created",
        "invoices-billing",
        tmp_path / "unused.jsonl",
        tmp_path / "consumer.log",
        env=env,
        args=("--group", "invoices-billing"),
        settings="example.settings",
    )
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server, consumer:
        created = [
            server.request(
                "POST",
                "/invoices/",
                {"customer": f"acme-{n}", "amount": "10.50", "currency": "EUR"},
            )
            for n in range(4)
        ]
        assert [answer.status for answer in created] == [201] * 4
        ids = [answer.json()["id"] for answer in created]

        deadline = time.monotonic() + 60
        while True:
            statuses = [server.request("GET", f"/invoices/{i}/").json()["status"] for i in ids]
            if statuses == ["issued"] * 4:
                break
            assert time.monotonic() < deadline, f"{statuses}\n{consumer.log()}"
            time.sleep(0.2)
        assert consumer.terminate() == 0, consumer.log()
        assert "invoice INV-" in consumer.log()
