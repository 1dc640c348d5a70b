from __future__ import annotations

import base64
import json
import threading
from urllib.parse import quote, quote_plus

import pytest
from pydantic import SecretStr
from spine._config._redact import Redactor, connection_secrets, is_secret_key


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


# -- a masked value keeps what follows it -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(url http://h/?password=s3cret)", "(url http://h/?password=***)"),
        ("(url http://h/?password=s3cret).", "(url http://h/?password=***)."),
        ("'http://h/?password=s3cret'", "'http://h/?password=***'"),
        ('"http://h/?api_key=s3cret"', '"http://h/?api_key=***"'),
        ("[http://h/?token=s3cret]", "[http://h/?token=***]"),
        ("<http://h/?token=s3cret>", "<http://h/?token=***>"),
        ("http://h/?password=s3cret, then", "http://h/?password=***, then"),
        ("http://h/?password=s3cret; then", "http://h/?password=***; then"),
        ("http://h/?password=s3cret then", "http://h/?password=*** then"),
        ("http://h/?password=s3cret&page=2", "http://h/?password=***&page=2"),
        ("http://h/?password=s3cret#top", "http://h/?password=***#top"),
        ("http://h/?password=s3cret", "http://h/?password=***"),
        ("http://h/?password=s3cret:", "http://h/?password=***:"),
        ("http://h/?password=s3cret!", "http://h/?password=***!"),
        # Punctuation inside the value is part of it: only what closes the text is left.
        ("(http://h/?password=a)b.c)", "(http://h/?password=***)"),
        ("(host=db password=s3cret)", "(host=db password=***)"),
        ("host=db password=s3cret, port 5432", "host=db password=***, port 5432"),
        ("host=db password='s3 cret' port=5432", "host=db password='***' port=5432"),
        ('(host=db password="s3cret")', '(host=db password="***")'),
        ("PWD=s3cret;UID=ada", "PWD=***;UID=ada"),
    ],
)
def test_only_the_value_is_masked(text, expected):
    assert Redactor().text(text) == expected


# -- Authorization headers, however a server writes them back ------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic YWxpY2U6czNjcmV0", "Authorization: Basic ***"),
        ("authorization: Token abc123\r\nAccept: */*", "authorization: Token ***\r\nAccept: */*"),
        ("Proxy-Authorization: Negotiate YII=", "Proxy-Authorization: Negotiate ***"),
        ("(Authorization: Bearer abc.def).", "(Authorization: Bearer ***)."),
        # No scheme spine knows: the first word may be the credential itself.
        ("Authorization: k-123 sent", "Authorization: *** sent"),
        ("Authorization: SSWS k-123", "Authorization: SSWS ***"),
        (
            '{"authorization": "Basic YWxpY2U6czNjcmV0", "accept": "*/*"}',
            '{"authorization": "Basic ***", "accept": "*/*"}',
        ),
        (
            '{"Authorization":"Digest username=\\"ada\\", response=\\"9f\\""}',
            '{"Authorization":"Digest ***"}',
        ),
        ("{'Authorization': 'Token abc123'}", "{'Authorization': 'Token ***'}"),
        # JSON inside JSON, as an answer that quotes what it received writes it.
        (
            '{"raw": "{\\"authorization\\": \\"Basic YWxp\\"}"}',
            '{"raw": "{\\"authorization\\": \\"Basic ***\\"}"}',
        ),
        # Cut short by an excerpt: what is left of the value is masked all the same.
        ('{"authorization": "Basic YWxpY2U6c', '{"authorization": "Basic ***'),
        ("authorization=Bearer%20abc123&page=2", "authorization=***&page=2"),
        ("{'api_key': 'k-123'}", "{'api_key': '***'}"),
        ('{\\"client_secret\\": \\"cs-123\\"}', '{\\"client_secret\\": \\"***\\"}'),
    ],
)
def test_authorization_values_are_masked_in_every_shape(text, expected):
    assert Redactor().text(text) == expected


def test_the_word_authorization_alone_is_left_alone():
    text = "the API wants an Authorization header; see the authorization options"
    assert Redactor().text(text) == text


# -- every encoding of a registered secret --------------------------------------------------------

PASSWORD = "pw-Zq8!xK2#mV/t é"


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "form",
    [
        PASSWORD,
        quote(PASSWORD, safe=""),
        quote(PASSWORD),
        quote_plus(PASSWORD),
        json.dumps(PASSWORD)[1:-1],
        b64(PASSWORD),
        b64(PASSWORD).rstrip("="),
        base64.urlsafe_b64encode(PASSWORD.encode()).decode(),
        quote(b64(PASSWORD), safe=""),
    ],
)
def test_a_registered_secret_is_masked_in_every_encoding(form):
    assert Redactor([PASSWORD]).text(f"sent {form} once") == "sent *** once"


@pytest.mark.parametrize("user", ["a", "ad", "ada", "alice", "a-much-longer-user-name"])
def test_a_secret_is_masked_inside_base64_of_a_longer_value_whatever_its_alignment(user):
    pair = b64(f"{user}:{PASSWORD}")
    masked = Redactor([PASSWORD]).text(f"Basic {pair}")
    # What is left is the user's part and at most one character on each side, each
    # holding a few bits of the secret's first or last byte.
    assert len(masked) - len("Basic ***") <= len(b64(f"{user}:")) + 2
    kept = masked.removeprefix("Basic ").split("***")
    assert len(kept) == 2 and pair.startswith(kept[0][:-1]) and len(kept[1].rstrip("=")) <= 1


def test_a_registered_pair_is_masked_whole_in_base64():
    redactor = Redactor([PASSWORD, f"ada:{PASSWORD}"])
    assert redactor.text(f"Authorization= {b64(f'ada:{PASSWORD}')}.") == "Authorization= ***."


def test_known_masks_registered_secrets_and_leaves_what_only_looks_like_one():
    redactor = Redactor(["tok-123456"])
    text = f"id=7 token=abc password=hunter2 Bearer xyz {b64('tok-123456')} tok-123456"
    assert redactor.known(text) == "id=7 token=abc password=hunter2 Bearer xyz *** ***"


def test_without_registered_secrets_known_returns_the_text_itself():
    text = "password=hunter2"
    assert Redactor().known(text) is text


def test_connection_secrets_finds_every_form_of_connection_string():
    found = connection_secrets("postgresql://ada:p%40ss@h/db?sslpassword=k%2Fey&application_name=x")
    assert {"p%40ss", "p@ss", "k%2Fey", "k/ey"} <= set(found)
    assert "x" not in found
    assert set(connection_secrets("host=db password='a b' PWD=c-d;UID=u")) == {"a b", "c-d"}


# -- an excerpt never holds half a secret ---------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 40))
def test_an_excerpt_cut_anywhere_shows_no_part_of_a_secret(size):
    secret = "tok-9f8e7d6c5b4a"
    text = "denied: " + " ".join([secret] * 20)
    excerpt = Redactor([secret]).excerpt(text, size)
    assert excerpt == ("denied: " + " ".join(["***"] * 20))[:size]


def test_an_excerpt_of_text_made_of_secrets_is_still_as_long_as_asked():
    secret = "x" * 50
    text = " ".join([secret] * 100) + " end"
    assert Redactor([secret]).excerpt(text, 30) == " ".join(["***"] * 100)[:30]
    assert Redactor([secret]).excerpt("short", 30) == "short"


def test_secrets_added_from_many_threads_at_once_are_all_masked():
    redactor = Redactor()
    secrets = [[f"secret-{thread}-{n:04d}" for n in range(12)] for thread in range(8)]
    start = threading.Barrier(len(secrets))

    def add(mine):
        start.wait()
        for secret in mine:
            redactor.add(secret)

    threads = [threading.Thread(target=add, args=(mine,)) for mine in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = " ".join(secret for mine in secrets for secret in mine)
    assert set(redactor.text(everything).split()) == {"***"}
