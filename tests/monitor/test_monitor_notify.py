"""Notifications: high-severity alerts notify the responsible officer in the app and by e-mail
through the configured SMTP server (a real aiosmtpd sink on 127.0.0.1); failures are retried."""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from monitor_unit import MonitorUnit, batch_body, obs

from orderwatch.monitor.ingest import IngestionService
from orderwatch.monitor.notify import deliver_pending_emails
from orderwatch.settings import Settings
from orderwatch.storage.monitoring_notices import (
    list_notifications,
    mark_notifications_read,
    retry_failed_emails,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def _service(unit: MonitorUnit, port: int) -> IngestionService:
    settings = Settings(
        data_dir=unit.settings.data_dir,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_sender="orderwatch@unit.example",
    )
    return IngestionService(unit.database, settings, clock=unit.clock)


def test_a_high_alert_is_e_mailed_to_its_officer_after_the_commit(
    module_unit: MonitorUnit, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    service = _service(module_unit, port)
    sink.messages.clear()
    medium = obs("text", app="SMS", text="an example-banned-word", at=module_unit.clock.now)
    high = obs("account", service="Kik", identifier="mailed.handle", at=module_unit.clock.now)
    result = service.ingest(module_unit.credentials["a1"], batch_body([medium, high]))
    assert result.emails_pending == 1
    assert sink.messages == []  # nothing is sent inside the batch's transaction
    report = deliver_pending_emails(module_unit.database, service.settings)
    assert (report.sent, report.failed) == (1, 0)
    ((recipients, message),) = sink.messages
    alert_id = next(r.id for r in module_unit.alert_rows("a1") if "mailed.handle" in r.key)
    assert recipients == ["a1@example.org"]
    assert message["From"] == "orderwatch@unit.example"
    assert message["Subject"] == f"orderwatch: high alert #{alert_id} for P-A1"
    body = message.get_payload()
    assert "Condition: Declare all online accounts" in body and f"/alerts/{alert_id}" in body
    assert "mailed.handle" not in body  # the details stay in orderwatch
    with module_unit.database.session() as session:
        notices = list_notifications(session, module_unit["ofc.a1"])
    assert [(n.alert_id, n.email_status) for n in notices if n.alert_id == alert_id] == [
        (alert_id, "sent")
    ]
    assert deliver_pending_emails(module_unit.database, service.settings).sent == 0


def test_officers_without_an_address_are_notified_in_the_app_only(
    module_unit: MonitorUnit, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    sink.messages.clear()
    service = _service(module_unit, port)
    item = obs("account", service="Kik", identifier="no.mail", at=module_unit.clock.now)
    result = service.ingest(module_unit.credentials["b1"], batch_body([item]))
    assert result.emails_pending == 0
    assert deliver_pending_emails(module_unit.database, service.settings).sent == 0
    assert sink.messages == []
    with module_unit.database.session() as session:
        notices = list_notifications(session, module_unit["ofc.b1"])
        assert [n.email_status for n in notices] == ["none"]
        assert mark_notifications_read(session, module_unit["ofc.b1"]) == 1
        assert list_notifications(session, module_unit["ofc.b1"]) == []


def test_an_unreachable_mail_server_fails_softly_and_is_retried(
    module_unit: MonitorUnit, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    sink.messages.clear()
    down = _service(module_unit, _free_port())  # nothing listens there
    item = obs("account", service="Kik", identifier="retry.me", at=module_unit.clock.now)
    assert down.ingest(module_unit.credentials["a2"], batch_body([item])).body["stored"] == 1
    report = deliver_pending_emails(module_unit.database, down.settings)
    assert (report.sent, report.failed) == (0, 1)
    with module_unit.database.session() as session:
        assert retry_failed_emails(session) == 1
    report = deliver_pending_emails(module_unit.database, _service(module_unit, port).settings)
    assert (report.sent, report.failed) == (1, 0)
    assert [to for to, _ in sink.messages] == [["a2@example.org"]]


# --- encrypted and authenticated mail servers -------------------------------------------------

USER, PASSWORD = "orderwatch-mailer", "mail server secret 7"
_OPENSSL = ("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1")
_FOR_LOCALHOST = ("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")


class Authenticator:
    """Accepts one user name and password; remembers what it was offered, and over what."""

    def __init__(self) -> None:
        self.offered: list[tuple[str, bool]] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        user = auth_data.login.decode()
        self.offered.append((user, session.ssl is not None))
        return AuthResult(success=user == USER and auth_data.password.decode() == PASSWORD)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with Debian's openssl."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [*_OPENSSL, "-keyout", str(key), "-out", str(cert), *_FOR_LOCALHOST],
        check=True,
        capture_output=True,
    )
    return cert, key


def _tls_server(
    certificate: tuple[Path, Path], implicit: bool
) -> tuple[Controller, Sink, Authenticator, int]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink, authenticator, port = Sink(), Authenticator(), _free_port()
    tls: dict[str, Any] = (
        {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        # aiosmtpd offers AUTH on an implicit-TLS socket only without this (it checks STARTTLS)
        auth_require_tls=not implicit,
        server_hostname="127.0.0.1",
        **tls,
    )
    controller.start()
    return controller, sink, authenticator, port


def _secure_service(
    unit: MonitorUnit, port: int, security: str, cafile: Path, password: str
) -> IngestionService:
    settings = Settings(
        data_dir=unit.settings.data_dir,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_sender="orderwatch@unit.example",
        smtp_security=security,
        smtp_username=USER,
        smtp_password=password,
        smtp_ca_file=cafile,
    )
    return IngestionService(unit.database, settings, clock=unit.clock)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_verified_tls_with_a_log_in(
    module_unit: MonitorUnit,
    certificate: tuple[Path, Path],
    security: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller, sink, authenticator, port = _tls_server(certificate, security == "tls")
    try:
        wrong = _secure_service(module_unit, port, security, certificate[0], "not the password")
        item = obs("account", service="Kik", identifier=f"tls.{security}", at=module_unit.clock.now)
        wrong.ingest(module_unit.credentials["a1"], batch_body([item]))
        with caplog.at_level(logging.WARNING):
            report = deliver_pending_emails(module_unit.database, wrong.settings)
        assert (report.sent, report.failed) == (0, 1) and sink.messages == []
        assert "not the password" not in caplog.text  # a password is never logged
        with module_unit.database.session() as session:
            assert retry_failed_emails(session) == 1
        right = _secure_service(module_unit, port, security, certificate[0], PASSWORD)
        report = deliver_pending_emails(module_unit.database, right.settings)
        assert (report.sent, report.failed) == (1, 0)
        assert [to for to, _ in sink.messages] == [["a1@example.org"]]
        if security == "starttls":  # (an implicit-TLS socket is TLS from its first byte)
            assert authenticator.offered == [(USER, True), (USER, True)]  # after STARTTLS
    finally:
        controller.stop()


def test_an_unknown_certificate_is_refused(
    module_unit: MonitorUnit, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    controller, sink, authenticator, port = _tls_server(certificate, implicit=False)
    other = tmp_path / "other-ca.pem"
    subprocess.run(
        [*_OPENSSL, "-keyout", str(tmp_path / "k.pem"), "-out", str(other), "-subj", "/CN=other"],
        check=True,
        capture_output=True,
    )
    try:
        service = _secure_service(module_unit, port, "starttls", other, PASSWORD)
        item = obs("account", service="Kik", identifier="untrusted", at=module_unit.clock.now)
        service.ingest(module_unit.credentials["a2"], batch_body([item]))
        report = deliver_pending_emails(module_unit.database, service.settings)
        assert (report.sent, report.failed) == (0, 1)
        assert sink.messages == [] and authenticator.offered == []  # no password was sent
    finally:
        controller.stop()
        with module_unit.database.session() as session:
            retry_failed_emails(session)
        deliver_pending_emails(module_unit.database, _service(module_unit, _free_port()).settings)


def test_a_user_name_without_tls_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="smtp_security is none"):
        Settings(smtp_host="mail.example", smtp_username=USER, smtp_password=PASSWORD)
