"""The helpers for plugins that call HTTP services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import spine


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Mon, 23 Nov 2026 08:00:45 GMT", 45.0),
        ("Mon, 23 Nov 2026 07:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(header, seconds):
    assert spine.retry_after(header, now=datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == seconds


def test_user_agent_names_the_kernel_and_the_plugin():
    assert spine.user_agent("spine-kernel") == f"spine/{spine.__version__} spine-kernel/{spine.__version__}"
    assert (
        spine.user_agent("not-installed-anywhere")
        == f"spine/{spine.__version__} not-installed-anywhere/unknown"
    )
