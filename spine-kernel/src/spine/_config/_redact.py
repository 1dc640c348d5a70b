"""Masking of secrets in anything spine prints, logs, records or returns."""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
# Very short values would mask innocent text everywhere; they are still masked when they
# sit under a secret key. A secret's base64 found inside a longer value is shorter than
# its own, and needs a few more characters not to match innocent base64.
_MIN_SECRET = 4
_MIN_INNER_BASE64 = 6

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
# Headers (and their echoes) whose whole value is a credential: Authorization, Proxy-Authorization.
_AUTH_NAME = r"[\w-]*authorization"
# Authorization schemes (IANA's, and a few common ones) are left in sight: they say what
# was sent without saying anything secret. An unknown first word may be the credential.
_SCHEME = (
    r"(?:Basic|Bearer|Digest|DPoP|GNAP|HOBA|Mutual|Negotiate|NTLM|OAuth|PrivateToken|"
    r"SCRAM-SHA-(?:1|256)|Token|ApiKey|Key|SSWS|AWS4-HMAC-SHA256)\s+"
)


def _bare(stops: str) -> str:
    """An unquoted value: it ends at whitespace, a quote or one of `stops`, and leaves out
    the closing punctuation that ends it, so ``(url http://h/?password=x).`` keeps its ``).``."""
    return rf"""[^\s"'<>{stops}]+?(?=[)\]}}>,.:;!?]*(?:[\s"'<>{stops}]|$))"""


@functools.cache
def _text_patterns() -> tuple[re.Pattern[str], ...]:
    # Secrets that travel inside text: URL passwords, secret-looking query parameters,
    # keyword connection strings (``host=db password=x``, ``PWD=x;``), secret keys and
    # Authorization headers as JSON, Python or header lines write them (JSON inside JSON
    # too, and cut short), bearer tokens and Slack webhook paths. Group "keep" is the
    # part left in place; the second's and third's "value" is what `connection_secrets` finds.
    # Up to the closing quote (escaped quotes are inside), or the end of a text cut short.
    quoted = r"(?:(?!(?P=q))(?:\\.|[^\r\n\\]))*"
    return tuple(
        re.compile(pattern, re.IGNORECASE)
        for pattern in (
            r"(?P<keep>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)",
            r"(?P<keep>[?&;](?:[\w.-]*(?:token|secret|password|api[_-]?key|signature|sig))=)"
            rf"(?P<value>{_bare('&#')})",
            rf"(?P<keep>(?<![\w.?&-]){_SECRET_NAME}\s*=\s*(?P<q>['\"])?)"
            rf"(?P<value>(?(q)(?:(?!(?P=q))[^\\]|\\.)*|{_bare('&;')}))",
            rf"(?P<keep>(?P<kq>\\?[\"'])(?:{_SECRET_NAME}|{_AUTH_NAME})(?P=kq)\s*[:=]\s*"
            rf"(?P<q>\\?[\"'])(?:{_SCHEME})?){quoted}",
            rf"(?P<keep>\b{_AUTH_NAME}\s*[:=]\s*(?:{_SCHEME})?){_bare(',;&#')}",
            r"(?P<keep>\bBearer\s+)[A-Za-z0-9._~+/=-]+",
            r"(?P<keep>hooks\.slack\.com/)[\w/-]+",
        )
    )


def _forms(secret: str) -> set[str]:
    """`secret` as it may be written: as is, percent-encoded (path and query), JSON-escaped,
    and in base64, where it is also found inside a longer value (``user:password`` in a
    Basic header) from each of its three possible alignments."""
    from urllib.parse import quote, quote_plus

    data = secret.encode()
    whole = base64.b64encode(data).decode()
    encoded = {whole, whole.rstrip("=")}  # padding is masked too, where it was kept
    for shift in range(3):
        # Preceded by `shift` bytes of anything: the characters that depend only on the
        # secret's bytes are those after the first 8*shift bits and before its last bits.
        shifted = base64.b64encode(bytes(shift) + data).decode()
        part = shifted[-(-8 * shift // 6) : 8 * (shift + len(data)) // 6]
        if len(part) >= _MIN_INNER_BASE64:
            encoded.add(part)
    encoded |= {form.replace("+", "-").replace("/", "_") for form in encoded}  # base64url
    encoded |= {quote(form, safe="") for form in encoded}
    plain = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1]}
    return {form for form in plain | encoded if len(form) >= _MIN_SECRET}


def connection_secrets(text: str) -> list[str]:
    """The secret values written in a connection string of any form, as written and
    percent-decoded: a URL's password, query parameters (``?sslpassword=x``) and keyword
    values (``password=x``, ``PWD=x``)."""
    from urllib.parse import unquote, urlsplit

    found = []
    try:
        password = urlsplit(text).password if "://" in text else None
    except ValueError:  # an unreadable port: still look for keywords
        password = None
    if password:
        found += [password, unquote(password)]
    for pattern in _text_patterns()[1:3]:
        values = [match["value"] for match in pattern.finditer(text)]
        found += values + [unquote(value) for value in values]
    return found


def is_secret_key(key: str) -> bool:
    """True when a setting, parameter or field named `key` holds a secret."""
    return bool(_secret_key().search(key))


class Redactor:
    """Replaces secrets with ``***``.

    It knows secrets three ways: values registered with `add` (the kernel adds every
    `SecretStr` setting, every source's `Source.secrets`, the store URL's password), in
    every encoding they travel in; values stored under secret-sounding keys; and secrets
    embedded in text (URL passwords, tokens in query strings, Authorization headers).
    It is safe to share between threads.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Every form of every secret, longest first (a secret inside a longer one is
        # masked with it), and those that hold no other: text holding none of these
        # holds no secret, the usual case, found with a few C-speed `in` tests.
        # Replaced together by `add`, so readers need no lock.
        self._known: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self._added: set[str] = set()  # adding one again is a set lookup: the kernel asks sources often
        # Adds from two threads (workflow steps, say) must not each replace `_known` with
        # their own secret only: the one lost would never be added again.
        self._adding = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Mask `secret` from now on: as written, percent-encoded, JSON-escaped and in base64."""
        if not secret or len(secret) < _MIN_SECRET or secret in self._added:
            return
        with self._adding:
            if secret in self._added:
                return
            forms = _forms(secret).union(self._known[0])
            inner = tuple(form for form in forms if not any(o != form and o in form for o in forms))
            self._known = (tuple(sorted(forms, key=len, reverse=True)), inner)
            self._added.add(secret)  # after `_known`: a secret found here is masked already

    def known(self, text: str) -> str:
        """`text` with the registered secrets masked, and nothing else: for data, such as
        a rejected record, where what merely looks like a secret must stay as it was.
        Cheap: `text` itself, after a few `in` tests, when it holds no secret."""
        forms, inner = self._known
        for form in inner:
            if form in text:
                break
        else:
            return text
        for form in forms:
            text = text.replace(form, MASK)
        return text

    def text(self, text: str) -> str:
        """`text` with the registered secrets and every secret it carries masked."""
        text = self.known(text)
        for pattern in _text_patterns():
            text = pattern.sub(lambda match: match["keep"] + MASK, text)
        return text

    def excerpt(self, text: str, size: int) -> str:
        """The first `size` characters of `text` (from a server, say), redacted before
        they are cut, so that no secret is cut in two and half shown."""
        forms = self._known[0]
        room = len(forms[0]) if forms else 0
        end = size + room
        while True:
            masked = self.text(text[:end])
            # The last `room` characters may hold the start of a secret cut at `end`.
            if end >= len(text) or len(masked) - room >= size:
                return masked[:size]
            end *= 2

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
