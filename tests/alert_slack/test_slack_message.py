"""The Block Kit message: its shape, Slack's escaping, and every limit, with long parts cut cleanly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from spine_alert_slack._message import slack_message

from .slack_helpers import alert, all_texts, problems

BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
MARKER = re.compile(r"… \(truncated: ([\d,]+) more characters\)$")


def unescape(text):
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def sections_of_text(message):
    return [
        block["text"]["text"] for block in message["blocks"] if block["type"] == "section" and "text" in block
    ]


def fields_of(message):
    return [
        field["text"]
        for block in message["blocks"]
        if block["type"] == "section"
        for field in block.get("fields", [])
    ]


def assert_within_limits(message):
    assert problems(message) == []
    assert len(message["text"]) <= 3_000
    for text in all_texts(message):
        assert not BROKEN_ENTITY.search(text), f"a cut entity or an unescaped & in {text[-40:]!r}"
        assert "<" not in text and ">" not in text


def test_a_full_alert_becomes_a_header_facts_text_context_and_a_run_link():
    message = slack_message(
        alert(
            url="https://spine.example.com/runs/0123456789abcdef",
            suppressed=17,
            suppressed_since=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
            held_back=23,
        )
    )
    assert message == {
        "text": "[ERROR] finra.otc_weekly failed: load: table finra_otc_weekly is locked",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": ":red_circle: finra.otc_weekly failed", "emoji": True},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Pipeline*\nfinra.otc_weekly"},
                    {"type": "mrkdwn", "text": "*Run id*\n0123456789abcdef"},
                    {"type": "mrkdwn", "text": "*Severity*\nerror"},
                    {"type": "mrkdwn", "text": "*Status*\nfailed"},
                    {"type": "mrkdwn", "text": "*Rows read*\n1,204"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "load: table finra_otc_weekly is locked"}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "17 similar alerts suppressed since 2026-11-24 08:00 UTC"},
                    {"type": "mrkdwn", "text": "23 other alerts held back by the rate limit"},
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "View run"},
                        "url": "https://spine.example.com/runs/0123456789abcdef",
                    }
                ],
            },
        ],
    }


@pytest.mark.parametrize(
    ("severity", "marker"),
    [
        ("info", ":information_source:"),
        ("warning", ":warning:"),
        ("error", ":red_circle:"),
        ("critical", ":red_circle:"),
    ],
)
def test_the_severity_shows_in_the_header_the_fallback_and_the_facts(severity, marker):
    message = slack_message(alert(severity=severity))
    assert message["blocks"][0]["text"]["text"] == f"{marker} finra.otc_weekly failed"
    assert message["text"].startswith(f"[{severity.upper()}] finra.otc_weekly failed")
    assert f"*Severity*\n{severity}" in fields_of(message)


def test_the_fallback_text_has_the_first_line_of_the_text_only():
    message = slack_message(alert(text="\n  load failed: locked\nTraceback (most recent call last):\n  ..."))
    assert message["text"] == "[ERROR] finra.otc_weekly failed: load failed: locked"
    assert slack_message(alert(text=""))["text"] == "[ERROR] finra.otc_weekly failed"


def test_an_alert_with_no_text_pipeline_run_or_link_has_only_what_it_has():
    message = slack_message(alert(text="", pipeline=None, run_id=None, fields={}))
    assert [block["type"] for block in message["blocks"]] == ["header", "section"]
    assert fields_of(message) == ["*Severity*\nerror"]


def test_one_suppressed_alert_is_singular_and_its_time_is_shown_in_utc():
    new_york = timezone(timedelta(hours=-5))
    message = slack_message(
        alert(suppressed=1, suppressed_since=datetime(2026, 11, 24, 3, 30, tzinfo=new_york), held_back=1)
    )
    context = message["blocks"][-1]
    assert context["type"] == "context"
    assert [element["text"] for element in context["elements"]] == [
        "1 similar alert suppressed since 2026-11-24 08:30 UTC",
        "1 other alert held back by the rate limit",
    ]


def test_counts_have_thousands_separators_and_no_time_when_none_is_known():
    context = slack_message(alert(suppressed=12_345))["blocks"][-1]
    assert [element["text"] for element in context["elements"]] == ["12,345 similar alerts suppressed"]


@pytest.mark.parametrize("url", ["https://spine.example.com/" + "r" * 3_000, "javascript:alert(1)"])
def test_a_run_url_slack_would_refuse_leaves_the_button_out(url):
    message = slack_message(alert(url=url))
    assert [block["type"] for block in message["blocks"]] == ["header", "section", "section"]
    assert problems(message) == []


def test_ampersands_and_angle_brackets_are_escaped_everywhere_and_the_url_is_not():
    url = "https://spine.example.com/runs?id=1&view=full"
    message = slack_message(
        alert(
            title="<b>R&D</b> failed",
            text="x < 3 && y > 4\n<!channel>",
            pipeline="a&b",
            fields={"A<B": "1 > 0 & 2 > 1"},
            url=url,
        )
    )
    assert message["blocks"][0]["text"]["text"] == ":red_circle: &lt;b&gt;R&amp;D&lt;/b&gt; failed"
    assert sections_of_text(message) == ["x &lt; 3 &amp;&amp; y &gt; 4\n&lt;!channel&gt;"]
    assert "*A&lt;B*\n1 &gt; 0 &amp; 2 &gt; 1" in fields_of(message)
    assert "*Pipeline*\na&amp;b" in fields_of(message)
    assert message["text"] == "[ERROR] &lt;b&gt;R&amp;D&lt;/b&gt; failed: x &lt; 3 &amp;&amp; y &gt; 4"
    assert message["blocks"][-1]["elements"][0]["url"] == url
    assert_within_limits(message)


@pytest.mark.parametrize("character", ["&", "<", ">"])
def test_limits_are_measured_after_escaping_and_an_escape_is_never_cut(character):
    message = slack_message(
        alert(title=character * 200, text=character * 20_000, fields={"x": character * 3_000})
    )
    assert_within_limits(message)
    header = message["blocks"][0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    assert len(header) >= 140  # cut at the last whole escape, not much before
    assert all(2_900 <= len(text) <= 3_000 for text in sections_of_text(message)[:-1])


def test_a_megabyte_of_text_is_split_at_line_ends_and_the_rest_is_counted():
    raw = "".join(f"row {number:06d} & <col>: value\n" for number in range(40_000)).strip()
    assert len(raw) > 1_000_000
    message = slack_message(alert(text=raw))
    pieces = sections_of_text(message)
    assert len(pieces) == 5
    assert all(len(piece) <= 3_000 for piece in pieces)
    left_out = MARKER.search(pieces[-1])
    assert left_out, pieces[-1][-80:]
    shown = "\n".join(unescape(piece) for piece in [*pieces[:-1], pieces[-1][: left_out.start()]])
    assert raw.startswith(shown)  # nothing is lost between sections, every cut is at a line end
    assert raw[len(shown)] == "\n"
    assert int(left_out[1].replace(",", "")) == len(raw) - len(shown)
    assert len(message["blocks"]) <= 50
    assert_within_limits(message)


def test_text_a_little_over_a_section_is_split_without_a_marker():
    raw = "\n".join(f"line {number}: " + "x" * 60 for number in range(100))
    pieces = sections_of_text(slack_message(alert(text=raw)))
    assert len(pieces) == 3
    assert "\n".join(pieces) == raw
    assert "truncated" not in pieces[-1]


def test_one_long_line_is_split_between_words():
    raw = " ".join(f"word{number}" for number in range(1_000))
    pieces = sections_of_text(slack_message(alert(text=raw)))
    assert len(pieces) > 1
    assert " ".join(pieces) == raw


def test_a_5000_character_title_is_cut_at_a_word_and_keeps_the_severity_marker():
    title = "Lorem ipsum dolor " * 300
    header = slack_message(alert(title=title, severity="warning"))["blocks"][0]["text"]["text"]
    assert len(header) <= 150
    assert header.startswith(":warning: Lorem ipsum")
    kept = header.removeprefix(":warning: ").removesuffix("…")
    assert header.endswith("…") and title.startswith(kept + " ")


def test_a_title_without_spaces_is_cut_to_exactly_the_limit():
    header = slack_message(alert(title="T" * 5_000))["blocks"][0]["text"]["text"]
    assert header == ":red_circle: " + "T" * (150 - len(":red_circle: ") - 1) + "…"


def test_a_200_field_alert_shows_every_field_in_order_ten_per_section():
    fields = {f"Field {number}": f"value {number}" for number in range(200)}
    message = slack_message(alert(fields=fields))
    sections = [block for block in message["blocks"] if "fields" in block]
    assert len(sections) == 21
    assert all(len(section["fields"]) <= 10 for section in sections)
    expected = ["*Pipeline*\nfinra.otc_weekly", "*Run id*\n0123456789abcdef", "*Severity*\nerror"]
    expected += [f"*{label}*\n{value}" for label, value in fields.items()]
    assert fields_of(message) == expected
    assert_within_limits(message)


def test_more_fields_than_50_blocks_hold_end_with_a_count_of_those_left_out():
    fields = {f"Field {number}": "v" for number in range(1_000)}
    message = slack_message(alert(fields=fields, url="https://spine.example.com/runs/1", suppressed=2))
    assert len(message["blocks"]) == 50
    shown = fields_of(message)
    # header, text, context and actions leave 46 sections: 459 facts and the note
    assert len(shown) == 460
    assert shown[-1] == "*More fields*\n544 more fields not shown"  # 1,003 facts - 459
    assert_within_limits(message)


def test_a_long_field_is_cut_with_a_count_and_a_long_label_is_cut_short():
    message = slack_message(alert(fields={"L" * 5_000: "v" * 5_000}))
    (field,) = [text for text in fields_of(message) if text.startswith("*LL")]
    assert len(field) <= 2_000
    label, value = field.split("\n", 1)
    assert len(label) <= 202 and label.endswith("…*")
    left_out = MARKER.search(value)
    assert left_out and int(left_out[1].replace(",", "")) == 5_000 - len(value[: left_out.start()])
    assert_within_limits(message)


def test_the_worst_alert_still_fits_every_limit():
    message = slack_message(
        alert(
            title="<&>" * 3_000,
            text=("&<>" * 1_000 + "\n") * 400,
            pipeline="p" * 5_000,
            run_id="r" * 5_000,
            fields={f"<{number}>" * 100: "&" * 3_000 for number in range(500)},
            url="https://spine.example.com/runs/1",
            suppressed=10**9,
            held_back=10**9,
        )
    )
    assert len(message["blocks"]) == 50
    assert_within_limits(message)


BAD_PAYLOADS = {
    "51 blocks": {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51},
    "header of 151": {
        "text": "t",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    },
    "section of 3001": {
        "text": "t",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3_001}}],
    },
    "11 fields": {
        "text": "t",
        "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
    },
    "field of 2001": {
        "text": "t",
        "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2_001}]}],
    },
    "no text or blocks": {"attachments": []},
    "11 context elements": {
        "text": "t",
        "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
    },
}


@pytest.mark.parametrize("name", list(BAD_PAYLOADS))
def test_the_fake_slack_refuses_what_slack_refuses(slack, name):
    answer = httpx.post(slack.url, json=BAD_PAYLOADS[name])
    assert (answer.status_code, answer.text) == (400, "invalid_payload")
    assert slack.refused


def test_the_fake_slack_takes_a_message_within_the_limits(slack):
    answer = httpx.post(slack.url, json=slack_message(alert()))
    assert (answer.status_code, answer.text) == (200, "ok")
    assert slack.refused == []
