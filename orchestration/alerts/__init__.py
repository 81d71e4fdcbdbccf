"""Alerts out: webhook payloads for Slack, WeCom (企业微信) and DingTalk (钉钉)."""

from orchestration.alerts.webhook import WebhookError, build_payload, send_webhook

__all__ = ["WebhookError", "build_payload", "send_webhook"]
