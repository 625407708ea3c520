"""Turn an Answer into safe Markdown for the chat: escaped text, [n] markers, sources below."""

from __future__ import annotations

import html

from assistant.types import Answer


def escape(text: str) -> str:
    """Escape HTML and neutralise Markdown links/images so no question or entry text becomes markup."""
    text = html.escape(text, quote=True)
    for char in ("[", "]", "(", ")", "!", "`", "*", "_", "<", ">"):
        text = text.replace(char, "\\" + char)
    return text


def answer_markdown(answer: Answer) -> str:
    body = escape(answer.text)
    for c in answer.citations:
        body = body.replace(f"\\[{c.n}\\]", f"**[{c.n}]**")
    if not answer.citations:
        return body
    lines = [body, "", "**Sources**"]
    for c in answer.citations:
        lines.append(f"- **[{c.n}]** {escape(c.trial_id)}, {escape(c.title)}, *{escape(c.section)}*: "
                     f"{escape(c.text)}")
    return "\n".join(lines)
