"""The assistant: a turn goes understand (understand.py) -> compose (compose.py) -> check (check.py).

This module holds what lives across turns: the store and its catalog (refreshed after an ingest), the
embedding model, the chat state, the optional LLM writer and streaming.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from ingest.embedding import load_embed_model
from ingest.errors import StoreError, StoreUnreachable
from ingest.settings import Settings
from ingest.store import INGEST_HINT, Store

from . import phrases, safety
from .aspects import AspectReader
from .catalog import Catalog
from .compose import Composer
from .conversation import REMEMBERED_TURNS, Conversation, user_turns
from .plan import Plan
from .retrieval import HybridRetriever
from .safety import is_emergency
from .synonyms import english_words
from .text import clean
from .types import Answer
from .understand import make_plan
from .vectors import QueryVectors

logger = logging.getLogger(__name__)



class Assistant:
    def __init__(self, settings: Settings, store: Store | None = None, writer=None):
        self.settings = settings
        self.store = store
        # Optional LLM writer: gets the grounded answer and its sources, returns a validated answer.
        self.writer = writer
        self.embed_model = load_embed_model(settings.embed_batch_size)
        self.queries = QueryVectors(self.embed_model)  # kept across store reloads: same model, same vectors
        self.aspects = AspectReader(self.embed_model, settings.home / "cache")
        self.aspects.warm()
        # The safety gate embeds its examples with the same model, cached under home (about 2 s once).
        safety.configure(self.embed_model, settings.home / "cache").warm()
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._retriever: HybridRetriever | None = None
        self._checked = 0.0
        self.store_error: StoreError | None = None
        self.refresh(force=True)
        english_words()  # load the word list now, not during the first patient's question

    @property
    def ready(self) -> bool:
        """False while the store is missing or unreadable; the app still runs and says what to do."""
        return self._catalog is not None

    # -- store ------------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Reload entries and the BM25 index when an ingest has changed the store.

        A missing or broken store is remembered, not raised: the app keeps serving (emergency help
        included) and picks the store up as soon as `trialchat ingest` has built it.
        """
        if not force and time.monotonic() - self._checked < 2.0:
            return  # checked moments ago: keep what was found (including an outage)
        try:
            self._refresh(force)
            self.store_error = None
        except StoreError as exc:
            self.store_error = exc
            logger.error("trial store unavailable: %s", exc)
        except Exception as exc:  # a corrupted store can fail deep inside chromadb
            try:
                if self.store is not None:
                    self.store.check_reachable()
                self.store_error = StoreError(f"the trial store could not be read ({exc}); {INGEST_HINT}")
                logger.exception("trial store unreadable")
            except StoreUnreachable as down:
                self.store_error = down
                logger.error("trial store unavailable: %s", down)

    def _refresh(self, force: bool) -> None:
        if not force and time.monotonic() - self._checked < 2.0:
            return
        with self._lock:
            self._checked = time.monotonic()
            if self.store is None:
                self.store = Store(self.settings)
            collection = self.store.collection()
            state = self.store.state(collection)
            if not force and self._catalog and self._catalog.corpus_hash == state["corpus_hash"]:
                return
            catalog = Catalog(self.store.all_nodes(collection), state["corpus_hash"])
            retriever = HybridRetriever(
                catalog, self.store.vector_store(collection), self.embed_model,
                self.settings.top_k, self.settings.rrf_k, self.queries,
            )
            self._catalog, self._retriever = catalog, retriever
            logger.info("catalog loaded: %d trials, corpus %s", len(catalog.trials), catalog.corpus_hash)

    @property
    def catalog(self) -> Catalog:
        assert self._catalog is not None
        return self._catalog

    def config(self) -> dict:
        from ingest.embedding import MODEL_ID

        return {
            "writer": "grounded" if self.writer is None else getattr(self.writer, "name", type(self.writer).__name__),
            "embed_model": MODEL_ID,
            "retrieval": {"mode": "hybrid dense+bm25 rrf", "top_k": self.settings.top_k,
                          "rrf_k": self.settings.rrf_k, "min_dense_score": self.settings.min_dense_score},
            "corpus_hash": self.catalog.corpus_hash,
            "trials": len(self.catalog.trials),
        }

    # -- planning ---------------------------------------------------------------------------------
    def plan(self, question: str, previous: Plan | None = None) -> Plan:
        return make_plan(self.catalog, self._retriever, question, previous, self.settings.min_dense_score,
                         self.aspects)

    # -- answering --------------------------------------------------------------------------------
    def answer(self, question: str, history: Iterable = (), conversation: Conversation | None = None) -> Answer:
        """Answer one turn. A chat passes its ``conversation`` (updated here, once per turn); a caller
        without one passes the earlier questions as ``history`` and they are read into a new state."""
        try:
            return self._answer(question, history, conversation)
        except Exception as exc:
            if self.store is None or isinstance(exc, StoreUnreachable):
                raise
            try:  # the server went down mid-answer: say so, not "something went wrong"
                self.store.check_reachable()
            except StoreUnreachable as down:
                self.store_error, self._checked = down, 0.0
                logger.error("trial store unavailable: %s", down)
                return self._unreachable(question, clean(question))
            raise

    def _unreachable(self, question: str, raw: str) -> Answer:
        if is_emergency(raw):
            return Answer(question, phrases.EMERGENCY, "emergency")
        return Answer(question, phrases.STORE_UNREACHABLE, "no_info", notes=[str(self.store_error)])

    def conversation(self, history: Iterable = ()) -> Conversation:
        """The state a chat would have after asking ``history`` (earlier questions or chat messages)."""
        state = Conversation()
        for turn in user_turns(history)[-REMEMBERED_TURNS:]:
            turn = clean(turn)[: self.settings.max_question_chars]
            if turn:
                state.remember(turn, self.plan(turn, state.previous), self.catalog.corpus_hash)
        return state

    def _answer(self, question: str, history: Iterable, conversation: Conversation | None) -> Answer:
        self.refresh()
        raw = clean(question)
        notes = []
        if len(raw) > self.settings.max_question_chars:
            raw = raw[: self.settings.max_question_chars]
            notes.append(phrases.TOO_LONG.format(limit=self.settings.max_question_chars))
        if not raw:
            return Answer(question=question, text=phrases.EMPTY_QUESTION, behavior="out_of_scope")
        if isinstance(self.store_error, StoreUnreachable):
            # A server outage, not a missing store: the cached entries may be stale, so say so instead.
            return self._unreachable(question, raw)
        if not self.ready:
            # Safety does not wait for the store: emergencies still get emergency help.
            if is_emergency(raw):
                return Answer(question, phrases.EMERGENCY, "emergency")
            return Answer(question, phrases.STORE_NOT_READY, "no_info", notes=[str(self.store_error)])
        if conversation is None:
            conversation = self.conversation(history)
        elif conversation.corpus_hash not in (None, self.catalog.corpus_hash):
            # An ingest changed the trials since the last turn: read the chat again against the new ones.
            fresh = self.conversation(conversation.questions)
            conversation.previous, conversation.corpus_hash = fresh.previous, fresh.corpus_hash
        plan = self.plan(raw, conversation.previous)
        conversation.remember(raw, plan, self.catalog.corpus_hash)
        answer = Composer(self.catalog, self.aspects).write(raw, plan)
        if self.writer is not None and answer.behavior == "answer":
            answer = self.writer.rewrite(answer, self.sources_for(answer, plan))
        answer.question = question
        answer.notes = notes + answer.notes
        if notes:
            answer.text = " ".join(notes) + " " + answer.text
        return answer

    def sources_for(self, answer: Answer, plan: Plan, limit: int = 8) -> list:
        """Passages an LLM writer may cite: the grounded answer's, then the best retrieved ones."""
        ids = [c.chunk_id for c in answer.citations]
        ids += [h.chunk_id for h in plan.hits if h.trial_id in (plan.focus or [h.trial_id])]
        return [self.catalog.by_id[i] for i in dict.fromkeys(ids) if i in self.catalog.by_id][:limit]

    # -- streaming --------------------------------------------------------------------------------
    def answer_stream(self, question: str, history: Iterable = (),
                      conversation: Conversation | None = None) -> Iterable[str | Answer]:
        """answer() for a UI that shows text as it comes: yields the LLM writer's growing text (str,
        already validated, its [n] final), then always ends with the Answer, which replaces that text
        (it may be the grounded fallback). Without a writer, or for a gated question, only the Answer."""
        if self.writer is None:
            yield self.answer(question, history, conversation)
            return
        import queue

        from .llm.writer import partial_text_sink

        out: queue.Queue = queue.Queue()

        def run() -> None:
            try:
                with partial_text_sink(out.put):
                    out.put(self.answer(question, history, conversation))
            except BaseException as exc:  # re-raised in the caller's thread
                out.put(exc)

        threading.Thread(target=run, daemon=True, name="trialchat-answer").start()
        while True:
            item = out.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, Answer):
                return
