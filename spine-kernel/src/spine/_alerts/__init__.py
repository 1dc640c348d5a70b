"""Alerting: the alert and channel contract, the routing rules and rate limit, the
router (which channels get an alert, which repeats are held back), the alert history
in the store, and the built-in ``log`` channel.

Uses: `_config`, `_data`, `_records`.
"""
