"""One typed settings object, built once at the entry point and passed down.

It lives in ``ingest`` because ingest is the head of the one-way flow
(corpus -> ingest -> store -> assistant -> ui): every later stage may import it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = Path.home() / ".trialchat"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIALCHAT_", extra="forbid")

    home: Path = Field(
        default=DEFAULT_HOME,
        description="Directory that holds all state: the Chroma store and the conversation log.",
    )
    corpus_dir: Path = Field(
        default=PROJECT_ROOT / "corpus" / "trials",
        description="Folder of trial entries that `trialchat ingest` reads when given no paths.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="http://HOST:PORT of a Chroma server; unset means the embedded store under home.",
    )
    collection: str = Field(default="trialchat_trials", description="Chroma collection name.")
    top_k: int = Field(default=8, ge=1, le=50, description="Passages each retriever returns.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    min_dense_score: float = Field(
        default=0.35,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity below which a passage found only by meaning counts as unrelated.",
    )
    max_question_chars: int = Field(
        default=1000, ge=10, description="Longer questions are cut to this length, with a note."
    )
    embed_batch_size: int = Field(default=32, ge=1, description="Chunks embedded per model call.")
    ingest_wait: float = Field(
        default=120.0, ge=0, description="Seconds an ingest waits for another ingest of the same store to finish."
    )
    serve_concurrency: int = Field(
        default=8, ge=1, le=64,
        description="Chat answers the patient app works on at once; more wait in its queue (bench/concurrency.py).",
    )
    llm: str | None = Field(
        default=None,
        description="Optional LLM answer writer as PROVIDER:MODEL (ollama, openai, llamacpp); unset = grounded.",
    )
    llm_base_url: str | None = Field(default=None, description="Base URL of an Ollama or OpenAI-compatible server.")
    llm_timeout: float = Field(default=30.0, gt=0, description="Seconds before an LLM call falls back to grounded.")
    staff_user: str | None = Field(default=None, description="Staff app user name (with staff_password).")
    staff_password: str | None = Field(default=None, description="Staff app password; never logged.", repr=False)
    staff_credentials_file: Path | None = Field(
        default=None, description="File with 'user:password' lines for the staff app, instead of the two above."
    )

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def log_path(self) -> Path:
        return self.home / "conversations.sqlite3"
