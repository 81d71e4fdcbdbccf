"""Post a message to a chat webhook without ever writing its URL or secret to a log.

The URL of a Slack/WeCom/DingTalk webhook is itself a credential (anyone holding it can post), so
it comes only from the environment and every error we raise names the *kind* of webhook and the
HTTP status, never the URL. DingTalk "signed" robots need ``timestamp`` and ``sign`` query
parameters: an HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed by the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import Literal

Flavor = Literal["slack", "wecom", "dingtalk", "generic"]


class WebhookError(RuntimeError):
    """Sending failed; the message is safe to log (no URL, no secret)."""


def detect_flavor(url: str) -> Flavor:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host.endswith("slack.com"):
        return "slack"
    if host.endswith("weixin.qq.com"):
        return "wecom"
    if host.endswith("dingtalk.com"):
        return "dingtalk"
    return "generic"


def build_payload(flavor: Flavor, title: str, lines: list[str]) -> dict:
    """The JSON body each service expects for a short markdown message."""
    body = "\n".join(lines)
    if flavor == "slack":
        return {"text": f"*{title}*\n{body}"}
    if flavor == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}"}}
    if flavor == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n{body}"}}
    return {"title": title, "text": body, "lines": lines}


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}timestamp={timestamp}&sign={sign}"


def send_webhook(url: str, title: str, lines: list[str], *, secret: str | None = None,
                 flavor: Flavor | None = None, timeout: float = 10.0) -> Flavor:
    """POST the message; raises WebhookError (URL-free) on any failure. Returns the flavor used."""
    flavor = flavor or detect_flavor(url)
    target = dingtalk_signed_url(url, secret) if (flavor == "dingtalk" and secret) else url
    data = json.dumps(build_payload(flavor, title, lines), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if secret and flavor == "generic":
        headers["X-Funnel-Signature"] = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    try:
        request = urllib.request.Request(target, data=data, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except (ValueError, http.client.InvalidURL):  # malformed URL (no scheme, a space): urllib's message quotes it
        raise WebhookError(f"{flavor} webhook URL is not a valid http(s) URL (check FUNNEL_WEBHOOK_URL)") from None
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"{flavor} webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"{flavor} webhook unreachable ({type(reason).__name__})") from None
    if status >= 300:
        raise WebhookError(f"{flavor} webhook answered HTTP {status}")
    return flavor
