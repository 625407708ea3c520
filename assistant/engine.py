"""The assistant: safety gate -> what is asked -> which trials -> grounded, cited answer."""

from __future__ import annotations

import logging
import re
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
from .citations import render
from .conversation import REMEMBERED_TURNS, Conversation, user_turns
from .corpus import compare_claims
from .planner import Plan, make_plan
from .record_claims import record_claims
from .retrieval import HybridRetriever, ranked_trials
from .safety import is_emergency
from .synonyms import english_words
from .text import clean, tokens
from .types import Answer, Claim
from .vectors import QueryVectors
from .writer import trial_claims

logger = logging.getLogger(__name__)

# When a question also asks what the entries don't cover (cost, results, dosing), only these asks are
# clear enough to answer alongside; "join", "when", "measure" there are part of the uncovered ask.
STRONG_WITH_NO_INFO = {"size", "phase"}
MAX_TRIALS_IN_ANSWER = 6
LABEL = re.compile(r"(^|; )[A-Z][\w ]{0,40}: ")  # "Status: " before a record line's value


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
        answer = self._write(raw, plan)
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

    def _write(self, question: str, plan: Plan) -> Answer:
        catalog = self.catalog
        retrieved = list(dict.fromkeys(plan.focus + ranked_trials(plan.hits)))
        passages = [
            {"chunk_id": h.chunk_id, "trial_id": h.trial_id, "score": round(h.score, 5),
             "dense": None if h.dense is None else round(h.dense, 4),
             "bm25": None if h.bm25 is None else round(h.bm25, 4)}
            for h in plan.hits
        ]

        def done(behavior: str, claims: list[Claim]) -> Answer:
            text, citations, checks = render(claims, catalog.by_id)
            return Answer(question, text, behavior, citations, retrieved if behavior not in
                          ("emergency", "out_of_scope") else [], passages, plan.focus, checks)

        if plan.behavior == "emergency":
            return Answer(question, phrases.EMERGENCY, "emergency")
        if plan.behavior == "out_of_scope":
            return Answer(question, phrases.OUT_OF_SCOPE, "out_of_scope")
        if plan.behavior == "small_talk":
            return Answer(question, phrases.SMALL_TALK, "out_of_scope")

        if plan.advice:
            claims = [Claim(phrases.ADVICE)]
            if plan.kind == "corpus" and plan.set_claims:
                # "Could a trial fit me?": what the entries say, trial by trial; only the study team decides.
                return done("advice", [*claims, Claim(phrases.ADVICE_CONTEXT), *plan.set_claims])
            if plan.focus and plan.kind == "trial" and len(plan.focus) <= 2:
                context = []
                for trial_id in plan.focus:
                    attrs = [a for a in plan.attributes if a in ("size", "phase", "endpoint", "design")]
                    context += trial_claims(catalog.trials[trial_id], ["population", *attrs], plan.asked,
                                            compact=len(plan.focus) > 1, naming=plan.naming)
                if context:
                    claims += [Claim(phrases.ADVICE_CONTEXT), *context]
            return done("advice", claims)

        if plan.kind == "corpus":
            return done("answer", plan.set_claims)

        if plan.unknown_ids and not plan.focus:
            text = " ".join(phrases.UNKNOWN_ID.format(trial_id=i) for i in plan.unknown_ids)
            return done("no_info", [Claim(text)])

        no_info_topics = plan.intent.no_info
        if plan.kind == "trial" and plan.focus and plan.aspects and not plan.compare:
            answer = self._record_answer(plan, no_info_topics, done)
            if answer is not None:
                return answer
        if plan.kind == "trial" and plan.focus:
            strong = [a for a in plan.attributes if a in STRONG_WITH_NO_INFO]
            if plan.answerable:
                strong += [a for a in plan.attributes if a not in strong]
            if no_info_topics and not strong:
                return done("no_info", self._no_info_claims(no_info_topics, plan))
            claims = self._trial_claims(plan)
            cited = [c for c in claims if c.sources]
            if not cited:
                # The asked fact is not in the entry: say so, then what the entry does say about it.
                context = []
                if len(plan.focus) == 1 and not plan.by_retrieval:
                    context = trial_claims(catalog.trials[plan.focus[0]], ["condition"], plan.asked, compact=True)
                return done("no_info", [*claims, Claim(phrases.NO_INFO_WHO_KNOWS), *context])
            if no_info_topics:
                claims = self._trial_claims(plan, strong)
                claims += self._no_info_claims(no_info_topics, plan, with_context=False)
            return done("answer", claims)

        if no_info_topics and plan.intent.on_topic:
            return done("no_info", self._no_info_claims(no_info_topics, plan, with_context=False))
        if plan.intent.on_topic:
            return done("no_info", [Claim(phrases.NO_MATCH.format(corpus=catalog.describe())),
                                    Claim(phrases.NO_INFO_WHO_KNOWS)])
        return Answer(question, phrases.OUT_OF_SCOPE, "out_of_scope")

    def _record_answer(self, plan: Plan, no_info_topics: list[str], done) -> Answer | None:
        """The asked parts of the record (sites, exclusions, dates...) when the record holds them."""
        focus = plan.focus[:MAX_TRIALS_IN_ANSWER]
        asked = [self.aspects.by_name[name] for name in plan.aspects]
        claims: list[Claim] = []
        answered = []
        for trial_id in focus:
            found, aspects = record_claims(self.catalog.trials[trial_id], asked, plan.asked, plan.naming,
                                           compact=len(focus) > 1)
            claims += found
            answered += [a for a in aspects if a not in answered]
        # An asked part no record holds ("whats the number to call") is said to be missing, precisely.
        missing = [a.topic for a in asked if a.topic and a not in answered and a.topic not in no_info_topics]
        no_info_topics = [*no_info_topics, *missing]
        if not claims:
            if missing and not plan.attributes:
                return done("no_info", self._no_info_claims(no_info_topics, plan))
            return None
        replaced = {r for a in answered for r in a.replaces}
        others = [a for a in plan.attributes if a in STRONG_WITH_NO_INFO and a not in replaced]
        if others:
            said = self._trial_claims(plan, others)
            known = {w for c in said for w in tokens(c.text)}
            # A record line that only repeats what the key facts just said ("Status: withdrawn...") goes.
            claims = said + [c for c in claims if not set(tokens(LABEL.sub(" ", c.basis or c.text))) <= known]
        topics = [t for t in no_info_topics if t not in {a.topic for a in answered}]
        if topics:
            claims += self._no_info_claims(topics, plan, with_context=False)
        return done("answer", claims)

    def _trial_claims(self, plan: Plan, attributes: list[str] | None = None) -> list[Claim]:
        catalog = self.catalog
        attributes = plan.attributes if attributes is None else attributes
        focus = plan.focus[:MAX_TRIALS_IN_ANSWER]
        if len(focus) == 1:
            doc = catalog.trials[focus[0]]
            return trial_claims(doc, attributes, plan.asked, naming=plan.naming)
        if plan.compare:
            claims = compare_claims([catalog.trials[t] for t in focus], smaller=plan.smaller)
        else:
            claims = [Claim(phrases.AMBIGUOUS_LEAD)]
        attributes = attributes or ["size"]
        if plan.compare and claims:
            # The sizes are already side by side; say only what else was asked.
            attributes = [a for a in attributes if a != "size"]
            if not attributes:
                return claims
        for trial_id in focus:
            claims += trial_claims(catalog.trials[trial_id], attributes, plan.asked, compact=True,
                                   naming=plan.naming)
        return claims

    def _no_info_claims(self, topics: list[str], plan: Plan, with_context: bool = True) -> list[Claim]:
        what = " or ".join(phrases.NO_INFO_TOPICS[t] for t in topics)
        claims = [Claim(f"The trial entries don't say {what}."), Claim(phrases.NO_INFO_WHO_KNOWS)]
        if with_context and plan.kind == "trial" and len(plan.focus) == 1 and not plan.by_retrieval:
            doc = self.catalog.trials[plan.focus[0]]
            claims += trial_claims(doc, ["condition"], plan.expanded, compact=True)
        return claims

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
