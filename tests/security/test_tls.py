"""TLS to the county (issue 5, item 13): the real ``fieldtui county serve`` over HTTPS
(``--ssl-certfile/--ssl-keyfile``, certificates from a trustme test CA) and the real
``fieldtui send``.

- a certificate the client cannot verify (an unknown CA, another host's name, expired) is refused:
  nothing is sent, the batch waits blocked in the outbox, and the message says to set ``ca_file``;
- with the CA named in the settings (``ca_file``) the same server is accepted and the batch lands;
- the CA file does not make a certificate for another host acceptable.

SMTP's STARTTLS refusing a certificate it cannot verify is tested against a real aiosmtpd server
in tests/sync/test_mail.py (``test_starttls_refuses_a_certificate_it_cannot_verify``).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from fieldtui.campaigns import active
from fieldtui.store.store import open_store
from tests.support.county_server import TEST_ARGS, CountyServer, start_county
from tests.support.env import PYTHON, subprocess_env
from tests.sync.helpers import UNIT, make_settings, small_township


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def serve_tls(home: Path, cert: trustme.LeafCert, ca: trustme.CA) -> CountyServer:
    certfile, keyfile, cafile = home / "srv.pem", home / "srv.key", home / "ca.pem"
    home.mkdir(parents=True, exist_ok=True)
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    args = [*TEST_ARGS, "--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile)]
    # The fixture's health check must not depend on the certificate being right.
    return start_county(home, units=[UNIT], args=args, verify=False)


def send(home: Path) -> tuple[int, dict, str]:
    r = subprocess.run(
        [PYTHON, "-m", "fieldtui", "--home", str(home), "--lang", "en", "send", "--json"],
        capture_output=True, text=True, env=subprocess_env(), timeout=120,
    )  # fmt: skip
    return r.returncode, json.loads(r.stdout), r.stderr


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "township"
    make_settings(home)
    with open_store(home) as store:
        small_township(store, active(home))
    yield home


def point(home: Path, srv: CountyServer, ca_file: str = "") -> None:
    from fieldtui.settings import load_settings

    s = load_settings(home)
    s.set("endpoint", srv.url)
    s.set("token", srv.tokens[UNIT])
    s.set("ca_file", ca_file)
    s.save()


def seal(home: Path) -> None:
    from fieldtui.settings import load_settings
    from fieldtui.sync.seal import seal_period

    with open_store(home) as store:
        seal_period(store, active(home), load_settings(home), "2023Q2")


def test_an_unverifiable_county_is_refused_and_the_named_ca_accepted(
    ca: trustme.CA, township: Path, tmp_path: Path
) -> None:
    srv = serve_tls(tmp_path / "county", ca.issue_cert("127.0.0.1"), ca)
    try:
        assert srv.url.startswith("https://")
        seal(township)
        point(township, srv)  # the system's CAs only: this test CA is unknown
        code, report, _ = send(township)
        (out,) = report["batches"]
        assert code != 0 and out["status"] == "failed", report
        assert "certificate" in out["message"] and "ca_file" in out["message"]
        assert srv.copies() == {}
        point(township, srv, str(tmp_path / "county" / "ca.pem"))
        code, report, err = send(township)  # the blocked batch goes once sent again by hand
        assert code == 0 and report["acknowledged"] == 1, err
        assert srv.copies() == {out["batch_id"]: 1}
    finally:
        srv.stop()


@pytest.mark.parametrize("bad", ["another host", "expired", "not yet valid", "another CA"])
def test_a_named_ca_does_not_make_a_bad_certificate_acceptable(
    ca: trustme.CA, township: Path, tmp_path: Path, bad: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    cert = {
        "another host": lambda: ca.issue_cert("county.example.org"),
        "expired": lambda: ca.issue_cert("127.0.0.1", not_before=now - dt.timedelta(days=30),
                                         not_after=now - dt.timedelta(days=1)),
        "not yet valid": lambda: ca.issue_cert("127.0.0.1", not_before=now + dt.timedelta(days=1),
                                               not_after=now + dt.timedelta(days=30)),
        "another CA": lambda: trustme.CA().issue_cert("127.0.0.1"),
    }[bad]()  # fmt: skip
    srv = serve_tls(tmp_path / "county", cert, ca)
    try:
        seal(township)
        point(township, srv, str(tmp_path / "county" / "ca.pem"))  # our CA, named
        code, report, _ = send(township)
        (out,) = report["batches"]
        assert code != 0 and out["status"] == "failed" and "certificate" in out["message"], out
        assert srv.copies() == {}
    finally:
        srv.stop()


def test_serve_refuses_a_missing_or_mismatched_key(ca: trustme.CA, tmp_path: Path) -> None:
    cert = ca.issue_cert("127.0.0.1")
    pem, key = tmp_path / "srv.pem", tmp_path / "srv.key"
    cert.cert_chain_pems[0].write_to_path(str(pem))
    ca.issue_cert("other").private_key_pem.write_to_path(str(key))  # not this certificate's key
    for args in (["--ssl-certfile", str(pem)], ["--ssl-certfile", str(pem), "--ssl-keyfile", str(key)],
                 ["--ssl-certfile", str(tmp_path / "none.pem"), "--ssl-keyfile", str(key)]):  # fmt: skip
        r = subprocess.run(
            [PYTHON, "-m", "fieldtui", "--home", str(tmp_path / "c"), "--lang", "en", "county",
             "serve", "--port", "0", *args],
            capture_output=True, text=True, env=subprocess_env(), timeout=60,
        )  # fmt: skip
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        (line,) = r.stderr.strip().splitlines()
        assert "--ssl" in line or "certificate" in line, line
