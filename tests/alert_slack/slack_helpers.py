"""A fake Slack incoming webhook that checks messages as Slack does, and alerts to send it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import spine
from spine.testing import HttpRequest, HttpServer, Reply

WEBHOOK_PATH = "/services/T0SECRET/B0SECRET/XXXXSECRETXXXX"
SECRET = "SECRET"  # in every part of the webhook path: it must show nowhere

TEXT = {"Content-Type": "text/plain; charset=utf-8"}
OK: Reply = (200, TEXT, "ok")


def slack_says(status: int, body: str, **headers: str) -> Reply:
    return status, {**TEXT, **headers}, body


def problems(message: Any) -> list[str]:
    """Why Slack would refuse `message` (its documented limits), or nothing."""
    if not isinstance(message, dict):
        return ["the payload is not a JSON object"]
    found = []
    text, blocks = message.get("text"), message.get("blocks")
    if not text and not blocks:
        found.append("neither text nor blocks")
    if text is not None and (not isinstance(text, str) or len(text) > 40_000):
        found.append("text is not a string of at most 40,000 characters")
    if blocks is not None:
        if not isinstance(blocks, list) or len(blocks) > 50:
            found.append("blocks is not a list of at most 50 blocks")
        else:
            for number, block in enumerate(blocks, 1):
                found += [f"block {number}: {problem}" for problem in _block_problems(block)]
    return found


def _text_problems(text: Any, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> list[str]:
    if not isinstance(text, dict) or text.get("type") not in kinds:
        return [f"a text object must be one of {kinds}"]
    value = text.get("text")
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        return [f"text of {len(value) if isinstance(value, str) else value!r} characters, limit {limit}"]
    return []


def _block_problems(block: Any) -> list[str]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "header":
        return _text_problems(block.get("text"), 150, ("plain_text",))
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            return ["a section needs text or fields"]
        found = [] if text is None else _text_problems(text, 3_000)
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                found.append(f"{len(fields)} fields, limit 10")
            else:
                found += [problem for field in fields for problem in _text_problems(field, 2_000)]
        return found
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            return ["a context has 1 to 10 elements"]
        return [problem for element in elements for problem in _text_problems(element, 3_000)]
    if kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            return ["actions have 1 to 25 elements"]
        found = []
        for element in elements:
            found += _text_problems(element.get("text"), 75, ("plain_text",))
            url = element.get("url")
            if element.get("type") != "button" or not isinstance(url, str) or not 1 <= len(url) <= 3_000:
                found.append("a button needs a url of at most 3,000 characters")
        return found
    return [f"unknown block type {kind!r}"]


Answer = Reply | Callable[[HttpRequest], Reply]


class FakeSlack:
    """An incoming webhook on a real test server. A message Slack would refuse is answered
    ``400 invalid_payload`` (and kept in `refused`); others get the scripted answers in
    order, then ``200 ok``. `clock`, when set, stamps when each request arrived."""

    def __init__(self, server: HttpServer, path: str = WEBHOOK_PATH) -> None:
        self.server = server
        self.path = path
        self.script: list[Answer] = []
        self.refused: list[str] = []
        self.arrivals: list[float] = []
        self.clock: Callable[[], float] | None = None
        self.url = server.route("POST", path, self._answer)

    def answer(self, *answers: Answer) -> FakeSlack:
        self.script.extend(answers)
        return self

    @property
    def messages(self) -> list[Any]:
        return [request.body for request in self.server.seen(self.path)]

    def delivered(self) -> list[str]:
        return [json.dumps(body, ensure_ascii=False) for body in self.messages]

    def _answer(self, request: HttpRequest) -> Reply:
        if self.clock is not None:
            self.arrivals.append(self.clock())
        found = problems(request.body)
        if found:
            self.refused += found
            return slack_says(400, "invalid_payload")
        if not self.script:
            return OK
        answer = self.script.pop(0)
        return answer(request) if callable(answer) else answer


def alert(**changes: Any) -> spine.Alert:
    """A failed-run alert, with `changes`."""
    values: dict[str, Any] = {
        "severity": "error",
        "title": "finra.otc_weekly failed",
        "text": "load: table finra_otc_weekly is locked",
        "pipeline": "finra.otc_weekly",
        "run_id": "0123456789abcdef",
        "fields": {"Status": "failed", "Rows read": "1,204"},
    }
    return spine.Alert(**{**values, **changes})


def all_texts(message: dict[str, Any]) -> list[str]:
    """Every text Slack shows of `message`: the fallback and each text object's text."""
    found = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        for key in ("fields", "elements"):
            for element in block.get(key, []):
                found.append(element["text"] if isinstance(element["text"], str) else element["text"]["text"])
    return found
