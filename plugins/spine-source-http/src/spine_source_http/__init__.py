"""spine-source-http: the ``http`` source (REST APIs over HTTP and HTTPS, on httpx).

This module only registers the source; httpx is imported when a URL is opened, so
that listing plugins stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import spine

if TYPE_CHECKING:
    from collections.abc import Callable


@spine.hookimpl
def register_sources(register: Callable[[spine.SourceSpec], None]) -> None:
    register(
        spine.SourceSpec(
            "http",
            "spine_source_http._source:open_http",
            schemes=("http", "https"),
            description="REST APIs: JSON, JSON Lines or CSV pages; auth, pagination, retries, incremental",
        )
    )
