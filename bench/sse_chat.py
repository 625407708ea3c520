"""A light chat client for load tests: Gradio's queue protocol (join + server-sent events) over asyncio.

gradio_client spends about 60 ms of CPU per answer and polls its message queue every 50 ms; on the
2-core machine the server shares with its clients, that measures the client. This one speaks the same
protocol the browser does, in one thread, and times what a patient would see.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass

import httpx
from gradio_client.utils import apply_diff

TAG = re.compile(r"<[^>]+>")


@dataclass
class Turn:
    question: str
    first_s: float  # to the first update that shows answer words
    total_s: float  # to the complete answer
    answer: str  # the last assistant message, tags stripped
    chat: list  # the whole chatbot value at the end


async def endpoint(http: httpx.AsyncClient, url: str, api_name: str = "chat") -> tuple[str, int]:
    """The queue URL prefix and the function id of ``api_name`` from the app's config."""
    config = (await http.get(url + "config")).json()
    prefix = url + config.get("api_prefix", "/gradio_api").strip("/") + "/"
    fn = next(d.get("id", i) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == api_name)
    return prefix, fn


class Chat:
    """One chat session (one browser tab): its questions share server-side state."""

    def __init__(self, http: httpx.AsyncClient, prefix: str, fn: int):
        self.http, self.prefix, self.fn = http, prefix, fn
        self.session = uuid.uuid4().hex

    async def ask(self, question: str) -> Turn:
        started = time.perf_counter()
        body = {"data": [question, None], "fn_index": self.fn, "session_hash": self.session,
                "event_data": None, "trigger_id": None}
        joined = await self.http.post(self.prefix + "queue/join", json=body)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        first, outputs = None, None
        async with self.http.stream("GET", self.prefix + "queue/data",
                                    params={"session_hash": self.session}) as stream:
            async for message in _messages(stream):
                if message.get("event_id") != event_id:
                    continue
                kind = message["msg"]
                if kind in ("process_generating", "process_completed"):
                    data = message.get("output", {}).get("data")
                    if kind == "process_completed" and not message.get("success", True):
                        raise RuntimeError(f"answer failed: {message.get('output')}")
                    if data is not None:
                        outputs = _merge(outputs, data, kind == "process_generating")
                    if first is None and outputs and _answer_text(outputs[0]):
                        first = time.perf_counter() - started
                if kind == "process_completed":
                    break
        total = time.perf_counter() - started
        chat = outputs[0] if outputs else []
        return Turn(question, first if first is not None else total, total, _answer_text(chat), chat)


async def _messages(stream: httpx.Response):
    buffer = ""
    async for chunk in stream.aiter_text():
        buffer += chunk
        while "\n\n" in buffer:
            line, buffer = buffer.split("\n\n", 1)
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") != "heartbeat":
                    yield message


def _merge(previous: list | None, data: list, generating: bool) -> list:
    # Gradio sends a generator's first step whole, each later step as a diff against the one before,
    # and the completed message whole again.
    if previous is None or not generating:
        return list(data)
    return [apply_diff(old, new) for old, new in zip(previous, data, strict=False)]


def _answer_text(chat) -> str:
    if not isinstance(chat, list) or not chat or chat[-1].get("role") != "assistant":
        return ""
    content = chat[-1].get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return " ".join(TAG.sub(" ", content or "").split())


async def run_chats(url: str, conversations: list[list[str]], seconds: float) -> dict:
    """Each conversation is one chat, asked turn after turn; chats start over until ``seconds`` pass.
    Returns every turn per chat and the errors."""
    limits = httpx.Limits(max_connections=4 * len(conversations) + 8)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=limits, trust_env=False) as http:
        prefix, fn = await endpoint(http, url)
        deadline = time.perf_counter() + seconds
        results: list[list[list[Turn]]] = [[] for _ in conversations]
        errors: list[str] = []

        async def chat(i: int) -> None:
            while time.perf_counter() < deadline:
                session, turns = Chat(http, prefix, fn), []
                try:
                    for question in conversations[i]:
                        turns.append(await session.ask(question))
                except Exception as exc:  # counted, not raised: the run reports how many failed
                    errors.append(f"{type(exc).__name__}: {exc}")
                results[i].append(turns)

        await asyncio.gather(*(chat(i) for i in range(len(conversations))))
    return {"chats": results, "errors": errors}
