"""Sending the quarter's e-mail by SMTP to a real local aiosmtpd server, with real TLS."""

from __future__ import annotations

import email
import email.policy
import ssl
from pathlib import Path

import pytest
import trustme

from fieldtui.settings import Settings
from fieldtui.sync.errors import SyncError
from fieldtui.sync.export import email_period, export_period
from fieldtui.sync.mail import is_loopback, smtp_config
from tests.sync.smtpd import smtp_server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "county-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def configure(settings: Settings, port: int, security: str, **extra: str) -> Settings:
    settings.set("smtp.host", "127.0.0.1")
    settings.set("smtp.port", port)
    settings.set("smtp.security", security)
    settings.set("smtp.from", "longhe@example.org")
    for k, v in extra.items():
        settings.set(k.replace("__", "."), v)
    settings.save()
    return settings


def delivered(inbox, campaign, store, export_dir: Path | None = None):
    (m,) = inbox.messages
    assert m["to"] == [campaign.mailbox]
    assert m["from"] == "longhe@example.org"
    return email.message_from_bytes(m["data"], policy=email.policy.default)


def test_delivers_the_message_with_every_attachment(
    store, campaign, settings, township, tmp_path
) -> None:
    with smtp_server() as (inbox, port):
        configure(settings, port, "none")
        r = email_period(store, campaign, settings, "2023Q2", timeout=10)
    msg = delivered(inbox, campaign, store)
    assert msg["Subject"] == "龙河镇2023年二季度村（社区）退役军人服务站规范建设验收材料"
    assert msg["X-Unsent"] is None
    got = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert set(got) == set(r.attachments) and len(got) == 5
    # The same material the export writes, byte for byte.
    ex = export_period(store, campaign, settings, "2023Q2", tmp_path / "o")
    for name, content in got.items():
        data = content if isinstance(content, bytes) else content.encode()
        assert data == (ex.directory / name).read_bytes(), name
    assert store.batches.require(r.batch.id).state == "emailed"  # the furthest step counts
    assert store.batches.require(r.batch.id).emailed_at is not None


def test_starttls_with_the_configured_ca_is_accepted_and_logs_in(
    store, campaign, settings, township, server_ctx, ca_file
) -> None:
    with smtp_server(starttls=server_ctx, users={"longhe@qq.com": "abcdefghijklmnop"}) as (
        inbox, port):  # fmt: skip
        configure(settings, port, "starttls", smtp__ca_file=ca_file, smtp__user="longhe@qq.com",
                  smtp__password="abcdefghijklmnop")  # fmt: skip
        r = email_period(store, campaign, settings, "2023Q2", timeout=10)
    assert inbox.logins and inbox.logins[0][0] == "longhe@qq.com"
    assert delivered(inbox, campaign, store)["Subject"].startswith("龙河镇")
    assert store.batches.require(r.batch.id).state == "emailed"


def test_starttls_refuses_a_certificate_it_cannot_verify(
    store, campaign, settings, township, server_ctx
) -> None:
    with smtp_server(starttls=server_ctx) as (inbox, port):
        configure(settings, port, "starttls")  # no smtp.ca_file: the test CA is not trusted
        with pytest.raises(SyncError) as info:
            email_period(store, campaign, settings, "2023Q2", timeout=10)
    assert "smtp.ca_file" in info.value.en and "certificate" in info.value.en
    assert inbox.messages == []
    (b,) = store.batches.all()
    assert b.emailed_at is None


def test_implicit_tls_with_the_configured_ca(
    store, campaign, settings, township, server_ctx, ca_file
) -> None:
    with smtp_server(implicit=server_ctx) as (inbox, port):
        configure(settings, port, "ssl", smtp__ca_file=ca_file)
        email_period(store, campaign, settings, "2023Q2", timeout=10)
    assert len(inbox.messages) == 1


def test_a_wrong_password_names_the_authorisation_code(
    store, campaign, settings, township, server_ctx, ca_file
) -> None:
    with smtp_server(starttls=server_ctx, users={"longhe@qq.com": "right-code"}) as (inbox, port):
        configure(settings, port, "starttls", smtp__ca_file=ca_file, smtp__user="longhe@qq.com",
                  smtp__password="my-qq-password")  # fmt: skip
        with pytest.raises(SyncError) as info:
            email_period(store, campaign, settings, "2023Q2", timeout=10)
    assert "授权码" in info.value.zh and "my-qq-password" not in str(info.value.__dict__)
    assert inbox.messages == []


def test_plain_smtp_is_refused_for_a_remote_host(settings) -> None:
    settings.set("smtp.host", "smtp.qq.com")
    settings.set("smtp.security", "none")
    with pytest.raises(SyncError) as info:
        smtp_config(settings)
    assert "localhost" in info.value.en
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1")


def test_missing_host_is_named(settings) -> None:
    with pytest.raises(SyncError) as info:
        smtp_config(settings)
    assert "smtp.host" in info.value.en


def test_an_unreachable_server_is_a_clear_refusal(store, campaign, settings, township) -> None:
    from tests.sync.smtpd import free_port

    configure(settings, free_port(), "none")
    with pytest.raises(SyncError) as info:
        email_period(store, campaign, settings, "2023Q2", timeout=5)
    assert "cannot reach" in info.value.en


def test_the_password_stays_out_of_repr(settings) -> None:
    settings.set("smtp.host", "smtp.qq.com")
    settings.set("smtp.user", "a@qq.com")
    settings.set("smtp.password", "secret-code-123")
    cfg = smtp_config(settings)
    assert "secret-code-123" not in repr(cfg) and "secret-code-123" not in repr(settings)
