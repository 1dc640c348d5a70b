"""An alert as a Slack Block Kit message, cut to fit every limit Slack enforces.

Slack refuses a whole message (``400 invalid_payload``) when one part is too long,
so every text is escaped first and measured after: an entity (``&amp;``) is never
cut in half, and a cut prefers a line end, then a word end, and says how much it left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

import spine

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_LIMIT = 3_000
FIELD_LIMIT = 2_000
FIELDS_PER_SECTION = 10
FALLBACK_LIMIT = 3_000
BUTTON_URL_LIMIT = 3_000

# The error text's share of the 50 blocks (15,000 characters): enough for a traceback's
# useful part, and the fields keep room for 40 sections (400 fields).
TEXT_SECTIONS = 5
# A field's label is cut short so that its value keeps most of the field.
LABEL_LIMIT = 200
# A cut looks this far back (a fifth of the limit) for a line or word end.
_BOUNDARY_REACH = 5

_MARKERS = {
    spine.Severity.INFO: ":information_source:",
    spine.Severity.WARNING: ":warning:",
    spine.Severity.ERROR: ":red_circle:",
    spine.Severity.CRITICAL: ":red_circle:",
}


def slack_message(alert: spine.Alert) -> dict[str, Any]:
    """The JSON payload of an incoming-webhook message for `alert`: a fallback ``text``
    for notifications and ``blocks`` for the message itself."""
    tail = [*_context(alert), *_actions(alert)]
    text_blocks = [_section(piece) for piece in _split(alert.text, SECTION_LIMIT, TEXT_SECTIONS)]
    room = MAX_BLOCKS - 1 - len(text_blocks) - len(tail)
    return {
        "text": _fallback(alert),
        "blocks": [_header(alert), *_field_sections(_facts(alert), room), *text_blocks, *tail],
    }


def escape(text: str) -> str:
    """Slack's escaping: ``&``, ``<`` and ``>`` are control characters in its texts."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- blocks ------------------------------------------------------------------------------


def _fallback(alert: spine.Alert) -> str:
    lines = alert.text.strip().splitlines()
    summary = f"[{alert.severity.value.upper()}] {alert.title}" + (f": {lines[0]}" if lines else "")
    return _fit(_one_line(summary), FALLBACK_LIMIT, count=False)


def _header(alert: spine.Alert) -> dict[str, Any]:
    # The marker goes first so that it survives the cut of a long title.
    marker = _MARKERS[alert.severity] + " "
    title = _fit(_one_line(alert.title), HEADER_LIMIT - len(marker), count=False)
    return {"type": "header", "text": {"type": "plain_text", "text": marker + title, "emoji": True}}


def _facts(alert: spine.Alert) -> list[tuple[str, str]]:
    facts = [("Pipeline", alert.pipeline), ("Run id", alert.run_id), ("Severity", alert.severity.value)]
    return [(label, value) for label, value in facts if value] + list(alert.fields.items())


def _field_sections(facts: Sequence[tuple[str, str]], room: int) -> list[dict[str, Any]]:
    most = room * FIELDS_PER_SECTION
    if len(facts) > most:
        hidden = len(facts) - (most - 1)
        facts = [*facts[: most - 1], ("More fields", f"{hidden:,} more fields not shown")]
    fields = [_field(label, value) for label, value in facts]
    return [
        {"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]}
        for start in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def _field(label: str, value: str) -> dict[str, str]:
    head = f"*{_fit(_one_line(label), LABEL_LIMIT, count=False)}*\n"
    return {"type": "mrkdwn", "text": head + _fit(value, FIELD_LIMIT - len(head))}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(alert: spine.Alert) -> list[dict[str, Any]]:
    notes = []
    if alert.suppressed > 0:
        note = f"{_count(alert.suppressed, 'similar alert')} suppressed"
        since = alert.suppressed_since
        if since is not None:
            # A naive time is the kernel's UTC.
            since = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
            note += f" since {since:%Y-%m-%d %H:%M} UTC"
        notes.append(note)
    if alert.held_back > 0:
        notes.append(f"{_count(alert.held_back, 'other alert')} held back by the rate limit")
    if not notes:
        return []
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)} for note in notes]}]


def _actions(alert: spine.Alert) -> list[dict[str, Any]]:
    # Slack refuses the whole message for a button whose URL it does not take.
    url = alert.url
    if not url or len(url) > BUTTON_URL_LIMIT or not url.startswith(("https://", "http://")):
        return []
    button = {"type": "button", "text": {"type": "plain_text", "text": "View run"}, "url": url}
    return [{"type": "actions", "elements": [button]}]


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- cutting -----------------------------------------------------------------------------


def _fit(raw: str, limit: int, *, count: bool = True) -> str:
    """`raw` escaped, cut to `limit` characters when longer; `count` says how much was left out."""
    text = escape(raw)
    return text if len(text) <= limit else _truncated(text, limit, len(raw), count)


def _split(raw: str, limit: int, most: int) -> list[str]:
    """`raw` escaped, in at most `most` pieces of at most `limit` characters; the last one
    is cut when the text does not fit in all of them."""
    text = escape(raw.strip())
    pieces: list[str] = []
    while len(text) > limit and len(pieces) < most - 1:
        at = _cut(text, limit)
        pieces.append(text[:at].rstrip())
        text = text[at:].lstrip("\n")
    if len(text) > limit:
        pieces.append(_truncated(text, limit, len(_unescape(text)), True))
    elif text.strip():
        pieces.append(text)
    return [piece for piece in pieces if piece]


def _truncated(text: str, limit: int, raw_length: int, count: bool) -> str:
    """Escaped `text` cut to fit `limit` with its marker: the marker is sized for the
    most that can be left out, so the real (never longer) one fits too."""
    widest = _marker(raw_length) if count else "…"
    kept = text[: _cut(text, limit - len(widest))].rstrip()
    return kept + (_marker(raw_length - len(_unescape(kept))) if count else "…")


def _marker(left_out: int) -> str:
    return f"… (truncated: {left_out:,} more characters)"


def _cut(text: str, limit: int) -> int:
    """Where to cut escaped `text` to keep at most `limit` characters: after a line
    end or a space near the limit when there is one, and never inside an entity."""
    if len(text) <= limit:
        return len(text)
    end = limit
    amp = text.rfind("&", max(0, end - 4), end)  # entities are 4 or 5 characters long
    if amp != -1 and text.find(";", amp, end) == -1:
        end = amp
    reach = end - end // _BOUNDARY_REACH
    for boundary in ("\n", " "):
        at = text.rfind(boundary, reach, end)
        if at > 0:
            return at + 1
    return end
