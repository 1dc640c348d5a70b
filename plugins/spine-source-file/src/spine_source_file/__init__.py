"""spine-source-file: the ``file`` source (CSV, TSV, pipe-delimited, JSON, JSON Lines, Parquet).

This module only registers the source; the readers are imported when a file is opened,
so that listing plugins stays fast.
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
            "file",
            "spine_source_file._source:open_file",
            schemes=("file",),
            description="local files: CSV, TSV, pipe-delimited, JSON, JSON Lines, Parquet; gzip or not",
        )
    )
