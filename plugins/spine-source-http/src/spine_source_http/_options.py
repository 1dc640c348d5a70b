"""The options of the http source, validated by pydantic, with a `ConfigError` naming the option when wrong.

Options arrive as strings from the command line (``-o page_size=500``,
``-o header.Accept=text/csv``), as Python values from code, or from a TOML file
(``-o config=api.toml``); all three are accepted, and given options win over the file's.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from typing import Any, Literal

import spine
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

SECRET_OPTIONS = ("token", "password", "api_key", "client_secret")
_PREFIXED = {"header.": "headers", "param.": "params"}
_ENV = "env:"
_SECRET_HEADER = re.compile(r"auth|cookie|key|token|secret", re.IGNORECASE)


class HttpOptions(BaseModel):
    """Every option of the http source; see the plugin's README for what each one does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    body: dict[str, Any] | None = None
    timeout: float = Field(30.0, gt=0)
    verify: bool | str = True
    request_deadline: float = Field(300.0, gt=0)
    run_deadline: float | None = Field(None, gt=0)
    max_response_bytes: int = Field(1024**3, ge=1)
    max_element_bytes: int = Field(16 * 1024**2, ge=1)

    format: Literal["auto", "json", "jsonl", "csv", "psv", "tsv"] = "auto"
    records: str | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    types: dict[str, str] = {}

    paginate: Literal["auto", "link", "offset", "page", "cursor", "next_url", "none"] = "auto"
    page_in: Literal["query", "body"] = "query"
    max_pages: int = Field(10_000, ge=1)
    page_size: int = Field(100, ge=1)
    max_page_size: int | None = Field(None, ge=1)
    max_offset: int | None = Field(None, ge=0)
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_header: str | None = None
    total_path: str | None = None
    page_param: str = "page"
    start_page: int = Field(1, ge=0)
    page_size_param: str | None = None
    total_pages_path: str | None = None
    cursor_path: str | None = None
    cursor_param: str = "cursor"
    next_url_path: str = "next"

    auth: Literal["none", "bearer", "basic", "api_key", "oauth2"] = "none"
    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    api_key_in: Literal["header", "query"] = "header"
    api_key_name: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_url: str | None = None
    scope: str | None = None

    retries: int = Field(5, ge=0)
    retry_budget: float = Field(120.0, ge=0)
    backoff: float = Field(0.5, ge=0)
    backoff_max: float = Field(30.0, ge=0)
    rate_limit: float | None = Field(None, gt=0)

    incremental_field: str | None = None
    since_param: str | None = None
    since_body: str | None = None
    since_initial: str | None = None

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("body", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not JSON ({exc})") from None
        return value

    @field_validator("verify", mode="before")
    @classmethod
    def _verify(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.strip().lower() in ("true", "yes", "1")
        if isinstance(value, str) and not os.path.exists(value):
            raise ValueError("expected true, false, or the path of a CA bundle; no such file")
        return value

    @field_validator("types", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        if isinstance(value, str):
            pairs = [item.partition(":") for item in value.split(",") if item.strip()]
            if not all(name.strip() and kind.strip() for name, _, kind in pairs):
                raise ValueError(
                    "expected column:type pairs separated by commas, like price:decimal,day:date"
                )
            value = {name.strip(): kind.strip() for name, _, kind in pairs}
        if isinstance(value, Mapping):
            for name, kind in value.items():
                try:
                    spine.Field(spine.normalize_identifier(name), str(kind).lower())
                except spine.ConfigError as exc:  # an unknown type
                    raise ValueError(str(exc)) from None
            return {spine.normalize_identifier(name): str(kind).lower() for name, kind in value.items()}
        return value

    @field_validator(*SECRET_OPTIONS, mode="before")
    @classmethod
    def _from_environment(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and raw.startswith(_ENV):
            name = raw.removeprefix(_ENV)
            if not os.environ.get(name):
                raise ValueError(f"the environment variable {name} is not set")
            return os.environ[name]
        return value

    @model_validator(mode="before")
    @classmethod
    def _implied(cls, values: Any) -> Any:
        """What the given options imply: POST with a body, paging in the body with one,
        and the auth style from the credentials given."""
        if not isinstance(values, dict):
            return values
        values = dict(values)
        if values.get("body") is not None:
            values.setdefault("method", "POST")
            values.setdefault("page_in", "body")
        if "auth" not in values:
            for option, style in (
                ("client_id", "oauth2"),
                ("token", "bearer"),
                ("api_key", "api_key"),
                ("username", "basic"),
            ):
                if values.get(option) is not None:
                    values["auth"] = style
                    break
        return values

    @model_validator(mode="after")
    def _complete(self) -> HttpOptions:
        needs = {
            "bearer": ("token",),
            "basic": ("username", "password"),
            "api_key": ("api_key",),
            "oauth2": ("client_id", "client_secret", "token_url"),
        }.get(self.auth, ())
        missing = [option for option in needs if getattr(self, option) is None]
        if missing:
            raise ValueError(f"auth {self.auth} needs {' and '.join(missing)}")
        if self.paginate == "cursor" and not self.cursor_path:
            raise ValueError("paginate cursor needs cursor_path, where the answer holds the next cursor")
        if (self.since_param or self.since_body) and not self.incremental_field:
            raise ValueError(
                "since_param and since_body need incremental_field, the field to take the mark from"
            )
        if self.incremental_field and not (self.since_param or self.since_body):
            raise ValueError("incremental_field needs since_param or since_body, to send the mark with")
        if self.page_in == "body" and self.method != "POST":
            raise ValueError("page_in body needs method POST")
        return self

    def secrets(self) -> list[str]:
        """The credentials given, including those sent as headers of their own."""
        given = [getattr(self, option) for option in SECRET_OPTIONS]
        headers = [value for name, value in self.headers.items() if secret_header(name)]
        return [secret.get_secret_value() for secret in given if secret is not None] + headers

    @property
    def limit(self) -> int:
        """The page size to ask for: never more than the server's maximum."""
        return min(self.page_size, self.max_page_size or self.page_size)

    @property
    def key_name(self) -> str:
        return self.api_key_name or ("X-API-Key" if self.api_key_in == "header" else "api_key")


def secret_header(name: str) -> bool:
    """Whether a header named `name` carries a credential."""
    return bool(_SECRET_HEADER.search(name))


def parse_options(options: Mapping[str, Any]) -> HttpOptions:
    """Validate every option (after those of a ``config`` file); a `ConfigError` names the first wrong one."""
    given = dict(options)
    merged: dict[str, Any] = _config_file(given.pop("config")) if "config" in given else {}
    for name, value in given.items():
        prefix = next((prefix for prefix in _PREFIXED if name.startswith(prefix)), None)
        if prefix is None:
            merged[name] = value
        else:
            merged.setdefault(_PREFIXED[prefix], {})[name.removeprefix(prefix)] = value
    try:
        return HttpOptions.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc.errors()[0]) from None


def _config_file(path: Any) -> dict[str, Any]:
    try:
        with open(os.fspath(path), "rb") as file:
            loaded = tomllib.load(file)
    except (OSError, TypeError) as exc:
        raise spine.ConfigError(f"http source option 'config': cannot read {path!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise spine.ConfigError(f"http source option 'config': {path} is not valid TOML: {exc}") from None
    for table, option in (("header", "headers"), ("param", "params")):
        if table in loaded:
            loaded[option] = loaded.pop(table)
    return loaded


def _config_error(error: Mapping[str, Any]) -> spine.ConfigError:
    location = [str(part) for part in error.get("loc", ())]
    option = location[0] if location else ""
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(option, HttpOptions.model_fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return spine.ConfigError(f"unknown http source option {option!r}{hint}", context={"option": option})
    message = str(error["msg"]).removeprefix("Value error, ")
    if not option:  # a rule across options
        return spine.ConfigError(f"http source options: {message}")
    shown = "" if option in SECRET_OPTIONS else f", got {error.get('input')!r}"
    return spine.ConfigError(
        f"http source option {'.'.join(location)!r}: {message}{shown}", context={"option": option}
    )
