from __future__ import annotations

import pytest
from pydantic import SecretStr
from spine._redact import Redactor, is_secret_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://spine:s3cret@db:5432/x", "postgresql://spine:***@db:5432/x"),
        ("db2://user:p%40ss@host/db and more", "db2://user:***@host/db and more"),
        ("https://api.test/x?limit=5&api_key=abc123&b=1", "https://api.test/x?limit=5&api_key=***&b=1"),
        ("https://api.test/x?access_token=abc.def", "https://api.test/x?access_token=***"),
        ("Authorization: Bearer eyJhbGciOi.xyz", "Authorization: Bearer ***"),
        ("https://hooks.slack.com/services/T0/B0/XyZ", "https://hooks.slack.com/***"),
        ("nothing secret here: https://example.test/path", "nothing secret here: https://example.test/path"),
    ],
)
def test_secrets_inside_text_are_masked(text, expected):
    assert Redactor().text(text) == expected


def test_registered_secrets_are_masked_anywhere():
    redactor = Redactor(["tok-123456"])
    assert redactor.text("sent tok-123456 twice: tok-123456") == "sent *** twice: ***"


def test_short_values_are_not_registered_as_secrets():
    assert Redactor(["ab"]).text("abc tab") == "abc tab"


def test_structures_are_masked_by_key_and_by_content():
    redactor = Redactor(["topsecretvalue"])
    value = {
        "password": "x",
        "client_secret": "y",
        "Authorization": "Basic zzz",
        "author": "Ada",
        "empty_token": "",
        "nested": [{"url": "https://u:pw@h/"}, ("topsecretvalue",)],
        "secret": SecretStr("s"),
        "n": 3,
    }
    assert redactor.value(value) == {
        "password": "***",
        "client_secret": "***",
        "Authorization": "***",
        "author": "Ada",
        "empty_token": "",
        "nested": [{"url": "https://u:***@h/"}, ("***",)],
        "secret": "***",
        "n": 3,
    }


@pytest.mark.parametrize(
    "key", ["password", "PASSWD", "api_key", "apiKey", "token", "webhook_url", "dsn", "client_secret"]
)
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["author", "table", "mode", "rows", "url"])
def test_ordinary_keys(key):
    assert not is_secret_key(key)
