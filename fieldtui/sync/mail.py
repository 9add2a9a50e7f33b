"""Sending the quarter's e-mail by SMTP, with verified TLS.

``smtp.security`` is ``ssl`` (implicit TLS, port 465: QQ mail's smtp.qq.com), ``starttls``
(port 587) or ``none`` (refused except to this machine, for a local relay or a test server). The
certificate is checked with ``ssl.create_default_context`` against the system's CAs, or against
``smtp.ca_file`` when set. QQ mail logs in with an authorisation code (授权码) generated in its
web settings, not the QQ password: it goes in ``smtp.password``. The password is never shown.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from fieldtui.settings import Secret, Settings
from fieldtui.sync.errors import SettingMissing, SyncError

LOCAL_HOSTS = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    user: str
    sender: str
    ca_file: str = ""
    password: Secret = field(default_factory=lambda: Secret(""), repr=False)


def is_loopback(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def smtp_config(settings: Settings) -> SmtpConfig:
    host = str(settings.get("smtp.host") or "").strip()
    if not host:
        raise SettingMissing(
            "smtp.host",
            "未设置发信服务器（设置项 smtp.host）：如 QQ 邮箱请运行 fieldtui config set smtp.host smtp.qq.com",
            "no SMTP server set (setting `smtp.host`), e.g. `fieldtui config set smtp.host "
            "smtp.qq.com`",
        )
    security = str(settings.get("smtp.security"))
    if security == "none" and not is_loopback(host):
        raise SyncError(
            f"smtp.security = none 只允许用于本机（localhost），不能用于 {host}：请改为 ssl 或 starttls",
            f"smtp.security = none is allowed only for localhost, not {host}: use ssl or starttls",
        )
    user = str(settings.get("smtp.user") or "")
    sender = str(settings.get("smtp.from") or user)
    if not sender:
        raise SyncError(
            "未设置发件人（设置项 smtp.from 或 smtp.user）",
            "no sender address set (setting `smtp.from` or `smtp.user`)",
        )
    ca_file = str(settings.get("smtp.ca_file") or "")
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise SyncError(
            f"smtp.ca_file：找不到证书文件 {ca_file}", f"smtp.ca_file: no such file {ca_file}"
        )
    return SmtpConfig(
        host=host,
        port=int(settings.get("smtp.port")),
        security=security,
        user=user,
        sender=sender,
        ca_file=str(Path(ca_file).expanduser()) if ca_file else "",
        password=_password(settings),
    )


def _password(settings: Settings) -> Secret:
    """The SMTP password or authorisation code. smtplib sends it as ASCII: anything else is
    refused here, naming the setting, instead of failing inside the login."""
    password = Secret(settings.get("smtp.password"))
    if not password.reveal().isascii():
        raise SyncError(
            "smtp.password 含有中文或其他非 ASCII 字符：QQ 邮箱请填写网页邮箱“设置—账户”中生成的授权码",
            "smtp.password holds non-ASCII characters: for QQ mail use the authorisation code "
            "from its web settings",
        )
    return password


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """Certificate and host-name checks on; ``ca_file`` replaces the system CAs when given."""
    try:
        return ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise SyncError(
            f"无法读取 CA 证书文件 {ca_file}（{exc}）", f"cannot load CA file {ca_file} ({exc})"
        ) from None


def _cert_hint(config: SmtpConfig, exc: BaseException) -> SyncError:
    detail = getattr(exc, "verify_message", "") or str(exc)
    return SyncError(
        f"无法验证 {config.host} 的证书（{detail}），未发送。若使用单位内部证书，请设置 smtp.ca_file",
        f"cannot verify the certificate of {config.host} ({detail}); nothing was sent. For an "
        "in-house CA set `smtp.ca_file`",
    )


def send_message(msg: EmailMessage, config: SmtpConfig, *, timeout: float = 60.0) -> None:
    """Deliver ``msg`` through the configured server; SyncError on any failure, naming it."""
    del msg["X-Unsent"]
    if msg["From"] is None:
        msg["From"] = config.sender
    to = [str(a) for a in msg.get_all("To", [])]
    where = f"{config.host}:{config.port}"
    try:
        if config.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=timeout, context=tls_context(config.ca_file)
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if config.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SyncError(
                        f"{where} 不支持 STARTTLS，未发送", f"{where} does not offer STARTTLS"
                    )
                smtp.starttls(context=tls_context(config.ca_file))
                smtp.ehlo()
            if config.user:
                smtp.login(config.user, config.password.reveal())
            smtp.send_message(msg, from_addr=config.sender, to_addrs=to)
    except SyncError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise _cert_hint(config, exc) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SyncError(
            f"{where} 登录失败（{exc.smtp_code}）：请检查 smtp.user 和 smtp.password；"
            "QQ 邮箱须使用在网页邮箱“设置—账户”中生成的授权码，而不是 QQ 密码",
            f"{where} refused the login ({exc.smtp_code}): check smtp.user and smtp.password; "
            "QQ mail needs the authorisation code from its web settings, not the QQ password",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        shown = "; ".join(f"{a}: {c} {m.decode(errors='replace')}" for a, (c, m) in
                          exc.recipients.items())  # fmt: skip
        raise SyncError(f"收件人被拒绝：{shown}", f"recipient refused: {shown}") from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise SyncError(
            f"{where} 拒绝了邮件（{exc.smtp_code} {text}），未发送",
            f"{where} refused the message ({exc.smtp_code} {text}); not sent",
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise SyncError(
            f"无法连接发信服务器 {where}（{reason}），未发送",
            f"cannot reach the SMTP server {where} ({reason}); not sent",
        ) from None
    except Exception as exc:
        # Anything else is a fault inside smtplib or ssl. Its traceback would carry smtplib's
        # frames, whose locals hold the password (smtplib.SMTP.login): report it without them.
        name = type(exc).__name__
        raise SyncError(
            f"发送邮件时出现意外错误（{name}），可能未发送",
            f"unexpected error while sending ({name}); the message may not have been sent",
        ) from None
