"""Store URLs, ``db2://user:password@host:50000/DATABASE?schema=NAME&security=SSL``, and
the ibm_db connection strings made from them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from spine import ConfigError, Redactor, check_identifier

DEFAULT_PORT = 50000
OPTIONS = ("schema", "security", "sslservercertificate")


def _invalid(url: str, reason: str) -> ConfigError:
    shown = Redactor().text(url)
    return ConfigError(f"invalid Db2 URL {shown}: {reason}", context={"url": shown})


@dataclass(frozen=True)
class Db2Url:
    """The parts of a ``db2://`` URL; user and password are percent-decoded."""

    host: str
    port: int
    database: str
    user: str
    password: str
    schema: str | None = None
    ssl: bool = False
    ssl_server_certificate: str | None = None

    @classmethod
    def parse(cls, url: str) -> Db2Url:
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # an unclosed "[" of an IPv6 host, a character NFKC turns into "/"
            raise _invalid(
                url, f"not a URL ({exc}); an IPv6 host is written in brackets, db2://[::1]:50000/DB"
            ) from None
        if parts.scheme.lower() != "db2":
            raise _invalid(url, "expected db2://user:password@host:50000/DATABASE")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise _invalid(url, "the port is not a number from 1 to 65535") from None
        database = parts.path.lstrip("/")
        if not parts.hostname or not database or "/" in database:
            raise _invalid(url, "expected db2://user:password@host:50000/DATABASE")
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise _invalid(url, f"unknown option(s) {', '.join(unknown)}; expected {', '.join(OPTIONS)}")
        security = options.get("security", "")
        if security.upper() not in ("", "SSL"):
            raise _invalid(url, f"security={security!r}; the only choice is security=SSL")
        schema = options.get("schema") or None
        if schema is not None:
            try:
                check_identifier(schema, "schema")
            except ConfigError as exc:
                raise _invalid(url, exc.message) from None
        parsed = cls(
            host=parts.hostname,
            port=port,
            database=database,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            schema=schema,
            ssl=security.upper() == "SSL",
            ssl_server_certificate=options.get("sslservercertificate") or None,
        )
        for keyword, value in parsed._keywords():
            # A CLI connection string cannot quote ";" (IBM: not supported in passwords).
            if ";" in value or "\0" in value:
                raise _invalid(url, f"the {keyword} contains ';', which a Db2 connection string cannot carry")
        return parsed

    def _keywords(self) -> list[tuple[str, str]]:
        keywords = [
            ("DATABASE", self.database),
            ("HOSTNAME", self.host),
            ("PORT", str(self.port)),
            ("PROTOCOL", "TCPIP"),
        ]
        if self.user:
            keywords.append(("UID", self.user))
        if self.password:
            keywords.append(("PWD", self.password))
        if self.ssl:
            keywords.append(("SECURITY", "SSL"))
        if self.ssl_server_certificate:
            keywords.append(("SSLSERVERCERTIFICATE", self.ssl_server_certificate))
        return keywords

    def connection_string(self) -> str:
        """``DATABASE=...;HOSTNAME=...;PORT=...;PROTOCOL=TCPIP;UID=...;PWD=...;``, for ibm_db.connect."""
        return "".join(f"{keyword}={value};" for keyword, value in self._keywords())

    def describe(self) -> str:
        """The URL without the password."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6
        options = {
            "schema": self.schema,
            "security": "SSL" if self.ssl else None,
            "sslservercertificate": self.ssl_server_certificate,
        }
        query = urlencode({key: value for key, value in options.items() if value})
        return f"db2://{user}{host}:{self.port}/{self.database}" + (f"?{query}" if query else "")
