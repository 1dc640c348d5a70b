"""The options of the sql source, validated by pydantic, with a `ConfigError` naming the option when wrong.

Options arrive as strings from the command line (``-o table=public.orders``) or as
Python values from code; both are accepted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal

import spine
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_BATCH_BYTES = 8 * 1024**2
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class SqlOptions(BaseModel):
    """Every option of the sql source; see the plugin's README for what each one does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str | None = Field(None, min_length=1)
    columns: tuple[str, ...] = ()
    query: str | None = Field(None, min_length=1)
    batch_rows: int | None = Field(None, ge=1)
    batch_bytes: int = Field(DEFAULT_BATCH_BYTES, ge=1)
    statement_timeout: float | None = Field(None, gt=0)
    chunk_rows: int | None = Field(None, ge=1)

    cursor: str | None = Field(None, min_length=1)
    cursor_op: Literal[">", ">="] = ">"
    cursor_lag: str | None = None
    cursor_nulls: Literal["exclude", "include"] = "exclude"
    key: tuple[str, ...] = ()

    @field_validator("columns", "key", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",")]
        if isinstance(value, list | tuple) and not all(isinstance(name, str) and name for name in value):
            raise ValueError("expected column names separated by commas, like id,name")
        return value

    @field_validator("statement_timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> Any:
        return duration(value) if isinstance(value, str) else value

    @field_validator("cursor_lag", mode="before")
    @classmethod
    def _lag(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            duration(value)  # a number of seconds (or rows of an integer cursor) or a duration
        return value

    @model_validator(mode="after")
    def _complete(self) -> SqlOptions:
        # Neither is fine until something is read: `tables()` (spine inspect) needs none.
        if self.table is not None and self.query is not None:
            raise ValueError("give one of table= or query=, not both")
        if self.columns and self.query is not None:
            raise ValueError("columns= goes with table=; a query names its own columns")
        if self.chunk_rows is not None and (self.query is not None or self.cursor is not None):
            raise ValueError(
                "chunk_rows reads a table= in keyset chunks, for full loads; an incremental load "
                "(cursor=) resumes from its mark already"
            )
        if self.cursor is None:
            stray = [name for name in ("cursor_lag",) if getattr(self, name)]
            stray += ["key"] * bool(self.key and self.chunk_rows is None)
            stray += ["cursor_op"] * (self.cursor_op != ">") + ["cursor_nulls"] * (
                self.cursor_nulls != "exclude"
            )
            if stray:
                raise ValueError(
                    f"{', '.join(stray)} need cursor=, the column that says what is new"
                    + (" (or key= chunk_rows=, the key a full read is chunked on)" if "key" in stray else "")
                )
        return self


def duration(text: Any) -> float:
    """Seconds from ``90``, ``90s``, ``5m``, ``1h`` or ``1d``; `ValueError` otherwise."""
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(f"expected a duration like 90, 90s, 5m, 1h or 1d, got {text!r}")
    return float(match[1]) * _SECONDS[(match[2] or "s").lower()]


def parse_options(options: Mapping[str, Any]) -> SqlOptions:
    """Validate every option; a `ConfigError` names the first wrong one."""
    try:
        return SqlOptions.model_validate(dict(options))
    except ValidationError as exc:
        raise _config_error(exc.errors()[0]) from None


def _config_error(error: Mapping[str, Any]) -> spine.ConfigError:
    location = [str(part) for part in error.get("loc", ())]
    option = location[0] if location else ""
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(option, SqlOptions.model_fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return spine.ConfigError(f"unknown sql source option {option!r}{hint}", context={"option": option})
    message = str(error["msg"]).removeprefix("Value error, ")
    if not option:  # a rule across options
        return spine.ConfigError(f"sql source options: {message}")
    return spine.ConfigError(
        f"sql source option {option!r}: {message}, got {error.get('input')!r}", context={"option": option}
    )
