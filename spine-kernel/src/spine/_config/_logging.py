"""Log output for the CLI: the kernel logs through `logging`, the CLI renders it with structlog.

Only the CLI calls `configure`; an application that embeds the kernel owns its
logging. structlog is imported when the first record is formatted, so commands
that log nothing do not pay for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import IO, Any

from ._redact import Redactor


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self, stream: IO[str], json: bool, redactor: Redactor) -> None:
        super().__init__(stream)
        self.json = json
        self.redactor = redactor
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            self._formatter = self._build()
        return self._formatter.format(record)

    def _build(self) -> logging.Formatter:
        import structlog

        def mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
            return self.redactor.value(event)  # type: ignore[no-any-return]

        renderer: Any = (
            structlog.processors.JSONRenderer()
            if self.json
            else structlog.dev.ConsoleRenderer(colors=self.stream.isatty())
        )
        return structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                mask_secrets,
                renderer,
            ],
        )


class RedactingFilter(logging.Filter):
    """Masks a redactor's secrets in every record that passes through it.

    For libraries that log what they send: httpx logs each request's URL, and a URL
    can be a secret (a Slack webhook) or carry one (an API key in the query). Add it
    to the library's logger while the secrets are in use, and remove it after.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redactor.text(record.getMessage()), None
        return True


def _spine_or_warning(record: logging.LogRecord) -> bool:
    # Libraries' own info lines (httpx logs every request) are noise next to spine's:
    # they show with --log-level debug.
    return record.name.startswith("spine") or record.levelno >= logging.WARNING


def configure(*, log_format: str, level: str, stream: IO[str], redactor: Redactor) -> _Handler:
    """Send every log record to `stream`: console lines on a terminal (or when asked),
    JSON lines otherwise (or with ``log_format="json"``), secrets masked."""
    as_json = log_format == "json" or (log_format == "auto" and not stream.isatty())
    handler = _Handler(stream, as_json, redactor)
    if level.upper() != "DEBUG":
        handler.addFilter(_spine_or_warning)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    return handler
