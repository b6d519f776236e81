"""E-mailing officers about high-severity alerts through the configured SMTP server.

Sending happens after the batch is committed (the web app does it in the background; the
`orderwatch monitor check` command retries failures), so a slow or absent mail server never
delays or loses an agent's batch.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from orderwatch.settings import Settings
from orderwatch.storage import Database
from orderwatch.storage.monitoring_notices import claim_pending_emails, finish_email

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int


def deliver_pending_emails(
    database: Database, settings: Settings, limit: int = 50
) -> DeliveryReport:
    """Send up to `limit` pending notification e-mails; each is marked sent or failed."""
    if not settings.smtp_host:
        return DeliveryReport(0, 0)
    with database.session() as session:
        emails = claim_pending_emails(session, limit)
    sent = failed = 0
    if not emails:
        return DeliveryReport(0, 0)
    try:
        with _connect(settings) as smtp:
            for email in emails:
                message = EmailMessage()
                message["From"] = settings.smtp_sender
                message["To"] = email.to_address
                message["Subject"] = email.subject
                message.set_content(email.body)
                try:
                    smtp.send_message(message)
                except smtplib.SMTPException as error:
                    failed += 1
                    _finish(database, email.notification_id, str(error))
                else:
                    sent += 1
                    _finish(database, email.notification_id, None)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("cannot send alert e-mails through %s: %s", settings.smtp_host, error)
        done = sent + failed
        for email in emails[done:]:
            failed += 1
            _finish(database, email.notification_id, f"SMTP server unavailable: {error}")
    return DeliveryReport(sent, failed)


def _connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the mail server, encrypted and logged in as the settings say.

    TLS certificates are verified (the system's CAs, plus `smtp_ca_file`); the password is sent
    only over TLS (Settings refuses a user name without it) and never logged.
    """
    host = settings.smtp_host or ""
    context = None
    if settings.smtp_security != "none":
        cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
        context = ssl.create_default_context()
        if cafile:
            context.load_verify_locations(cafile=cafile)
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(
            host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _finish(database: Database, notification_id: int, error: str | None) -> None:
    with database.session() as session:
        finish_email(session, notification_id, sent=error is None, error=error)
