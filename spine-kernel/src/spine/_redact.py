"""Masking of secrets in anything spine prints, logs, records or returns."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# The patterns are compiled on first use: most commands never have anything to redact.


@functools.cache
def _secret_key() -> re.Pattern[str]:
    # Keys whose values are secrets whatever they look like.
    return re.compile(
        r"pass(word|wd)?|secret|token|api[_-]?key|authoriz|auth(?!or)|credential|private[_-]?key|webhook|dsn|cookie",
        re.IGNORECASE,
    )


# Names under which a connection string or a message carries a secret: libpq keywords
# (password, sslpassword), Db2/ODBC (PWD), query parameters (api_key, access_token).
_SECRET_NAME = r"[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key)"


@functools.cache
def _text_patterns() -> tuple[re.Pattern[str], ...]:
    # Secrets that travel inside text: URL passwords, secret-looking query parameters,
    # keyword connection strings (``host=db password=x``, ``PWD=x;``), bearer tokens and
    # Slack webhook paths. Group "keep" is the part left in place.
    return (
        re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)", re.IGNORECASE),
        re.compile(
            r"(?P<keep>[?&;](?:[\w.-]*(?:token|secret|password|api[_-]?key|signature|sig))=)[^&\s#]+",
            re.IGNORECASE,
        ),
        re.compile(
            rf"(?P<keep>(?<![\w.-]){_SECRET_NAME}\s*=\s*)"
            r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"&;]+)""",
            re.IGNORECASE,
        ),
        re.compile(rf'(?P<keep>"{_SECRET_NAME}"\s*:\s*")(?:[^"\\]|\\.)*(?=")', re.IGNORECASE),
        re.compile(r"(?P<keep>\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        re.compile(r"(?P<keep>hooks\.slack\.com/)[\w/-]+", re.IGNORECASE),
    )


def connection_secrets(text: str) -> list[str]:
    """The secret values written in a connection string of any form: a URL's password
    (as written, and percent-decoded) and keyword values (``password=x``, ``PWD=x``)."""
    from urllib.parse import unquote, urlsplit

    found = []
    try:
        password = urlsplit(text).password if "://" in text else None
    except ValueError:  # an unreadable port: still look for keywords
        password = None
    if password:
        found += [password, unquote(password)]
    for match in _text_patterns()[2].finditer(text):
        value = match[0][len(match["keep"]) :]
        found.append(value[1:-1] if value[:1] in "'\"" and len(value) > 1 else value)
    return found


def is_secret_key(key: str) -> bool:
    """True when a setting, parameter or field named `key` holds a secret."""
    return bool(_secret_key().search(key))


class Redactor:
    """Replaces secrets with ``***``.

    It knows secrets three ways: values registered with `add` (the kernel adds every
    `SecretStr` setting), values stored under secret-sounding keys, and secrets
    embedded in text (URL passwords, tokens in query strings, bearer tokens).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        # Very short values would mask innocent text everywhere; they are still
        # masked when they sit under a secret key.
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def text(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for pattern in _text_patterns():
            text = pattern.sub(lambda match: match["keep"] + MASK, text)
        return text

    def value(self, value: Any) -> Any:
        """Redact a value of any shape: text, mappings, sequences, `SecretStr`."""
        if isinstance(value, str):
            return self.text(value)
        if hasattr(value, "get_secret_value"):
            return MASK
        if isinstance(value, Mapping):
            return {
                key: MASK
                if isinstance(key, str) and is_secret_key(key) and value[key]
                else self.value(value[key])
                for key in value
            }
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value
