"""Errors core raises for callers to handle."""


class WebhookError(Exception):
    """The outgoing webhook could not be delivered (refused, error status or timeout)."""
