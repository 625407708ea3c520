"""Turn entries into chunks: one per body section, one 'Key facts' chunk from the fields, and the
registry fields' passages (ingest/passages.py) grouped the way patients ask."""

from __future__ import annotations

import hashlib
import json
import re

from llama_index.core import Document
from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter
from llama_index.core.schema import TextNode

from .entries import Entry
from .passages import record_passages

# Bump when chunk text or metadata changes shape: it is part of every content hash.
CHUNKER_VERSION = "c2"  # c2: typed records, registry passages
FACTS_SECTION = "Key facts"
# The model reads at most 256 word pieces; longer sections are split below that.
MAX_CHUNK_WORDS = 180

_NOT_EMBEDDED = ["content_hash", "entry_json", "kind", "position"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def facts_text(entry: Entry) -> str:
    """A plain sentence list of the structured fields, so corpus-level answers cite a passage."""
    parts = [f"{entry.id} is the {entry.short_name}.", f"Title: {entry.title}."]
    parts.append(f"Condition: {'; '.join(entry.conditions)}.")
    parts.append(f"Phase: {entry.phase}.")
    if entry.enrollment is not None:
        parts.append(f"Number of people: {entry.enrollment}.")
    parts.append(f"Who: {entry.population}.")
    if entry.ages:
        parts.append(f"Ages: {entry.ages}.")
    if entry.design:
        parts.append(f"Design: {', '.join(entry.design)}.")
    if entry.intervention:
        parts.append(f"Treatment: {entry.intervention}.")
    if entry.route:
        parts.append(f"Given as: {entry.route}.")
    if entry.comparator:
        parts.append(f"Compared with: {entry.comparator}.")
    if entry.primary_endpoint:
        when = f", {entry.primary_endpoint_timepoint}" if entry.primary_endpoint_timepoint else ""
        parts.append(f"Main endpoint: {entry.primary_endpoint}{when}.")
    if entry.status:
        parts.append(f"Status: {entry.status}.")
    return " ".join(parts)


def _node(entry: Entry, section: str, text: str, position: int, kind: str, suffix: str = "") -> TextNode:
    metadata = {
        "trial_id": entry.id,
        "title": entry.title,
        "short_name": entry.short_name,
        "section": section,
        "phase": entry.phase,
        "conditions": "; ".join(entry.conditions),
        "kind": kind,
        "position": position,
    }
    if kind == "facts":
        # Sections are left out so that editing one section re-embeds only that section's chunk.
        metadata["entry_json"] = entry.model_dump_json(exclude={"sections"})
    digest = hashlib.sha256(
        json.dumps([CHUNKER_VERSION, text, metadata], sort_keys=True).encode()
    ).hexdigest()
    metadata["content_hash"] = digest
    return TextNode(
        id_=f"{entry.id}#{slug(section)}{suffix}",
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(_NOT_EMBEDDED),
        excluded_llm_metadata_keys=list(_NOT_EMBEDDED),
    )


def chunk_entry(entry: Entry) -> list[TextNode]:
    """Chunk by section with llama-index's Markdown parser; split long sections by sentence; then the
    registry passages. Pieces under one heading are numbered (-1, -2, ...) only when there are several,
    so an entry without registry fields keeps the chunk ids it always had."""
    body = "\n\n".join(f"## {name}\n{text}" for name, text in entry.sections.items())
    parsed = MarkdownNodeParser(include_metadata=False).get_nodes_from_documents([Document(text=body)])
    splitter = SentenceSplitter(chunk_size=200, chunk_overlap=0)
    pieces: list[tuple[str, str]] = []
    for parsed_node in parsed:
        lines = parsed_node.get_content().strip().splitlines()
        if not lines or not lines[0].startswith("## "):
            continue
        section, text = lines[0][3:].strip(), "\n".join(lines[1:]).strip()
        if not text:
            continue
        chunks = [text] if len(text.split()) <= MAX_CHUNK_WORDS else splitter.split_text(text)
        pieces += [(section, chunk) for chunk in chunks]
    pieces += record_passages(entry)
    per_heading: dict[str, int] = {}
    for section, _ in pieces:
        per_heading[section] = per_heading.get(section, 0) + 1
    nodes = [_node(entry, FACTS_SECTION, facts_text(entry), 0, "facts")]
    seen: dict[str, int] = {}
    for section, text in pieces:
        seen[section] = seen.get(section, 0) + 1
        suffix = f"-{seen[section]}" if per_heading[section] > 1 else ""
        nodes.append(_node(entry, section, text, len(nodes), "section", suffix))
    return nodes
