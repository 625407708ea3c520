"""Build a llama-index LLM from `--llm PROVIDER:MODEL`; each provider's package is an optional extra.

Nothing here is imported at start-up unless an LLM is configured, and the client packages are only
imported inside `build_llm`, so the default (grounded) install needs none of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import TrialChatError

PROVIDERS = {
    "ollama": ("llama_index.llms.ollama", "llm"),
    "openai": ("llama_index.llms.openai_like", "llm"),
    "llamacpp": ("llama_index.llms.llama_cpp", "llamacpp"),
}
API_KEY_VARS = ("TRIALCHAT_LLM_API_KEY", "OPENAI_API_KEY")
OLLAMA_DEFAULT_URL = "http://localhost:11434"
CONTEXT_WINDOW = 8192  # set explicitly: Ollama would otherwise ask the server (/api/show) first
MAX_OUTPUT_TOKENS = 512
TEMPERATURE = 0.1


class LLMConfigError(TrialChatError):
    """The --llm setting cannot be turned into a writer (bad spec, missing extra, missing file or key)."""


@dataclass(frozen=True)
class LLMSpec:
    provider: str
    model: str

    @property
    def name(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_spec(spec: str) -> LLMSpec:
    """'ollama:llama3.2:3b' -> LLMSpec('ollama', 'llama3.2:3b'): only the first colon separates."""
    provider, sep, model = (spec or "").strip().partition(":")
    provider, model = provider.strip().lower(), model.strip()
    if not sep or not model or provider not in PROVIDERS:
        raise LLMConfigError(
            f"--llm '{spec}' is not PROVIDER:MODEL with PROVIDER one of {', '.join(PROVIDERS)}; "
            "e.g. --llm ollama:llama3.2 or --llm openai:gpt-4o-mini"
        )
    return LLMSpec(provider, model)


def api_key_from_env() -> str | None:
    """The API key for OpenAI-compatible servers: from the environment only, never from an option."""
    for var in API_KEY_VARS:
        if os.environ.get(var):
            return os.environ[var]
    return None


def _missing_extra(spec: LLMSpec, exc: ImportError) -> LLMConfigError:
    extra = PROVIDERS[spec.provider][1]
    return LLMConfigError(
        f"the {spec.provider} writer needs an optional package that is not installed ({exc.name or exc}); "
        f"install it with: pip install 'trialchat[{extra}]'"
    )


def build_llm(spec: LLMSpec, base_url: str | None, timeout: float):
    """A llama-index LLM for the spec. Retries are off: a failed call falls back to grounded at once."""
    try:
        if spec.provider == "ollama":
            from llama_index.llms.ollama import Ollama

            return Ollama(model=spec.model, base_url=(base_url or OLLAMA_DEFAULT_URL).rstrip("/"),
                          request_timeout=timeout, context_window=CONTEXT_WINDOW, temperature=TEMPERATURE,
                          additional_kwargs={"num_predict": MAX_OUTPUT_TOKENS})
        if spec.provider == "openai":
            from llama_index.llms.openai_like import OpenAILike

            key = api_key_from_env()
            if not base_url and not key:
                raise LLMConfigError(
                    "the openai writer needs --llm-base-url (env TRIALCHAT_LLM_BASE_URL) for a local "
                    "OpenAI-compatible server, or an API key in TRIALCHAT_LLM_API_KEY / OPENAI_API_KEY"
                )
            # Local servers (llama.cpp, vLLM, LM Studio) accept any key; the client insists on one.
            return OpenAILike(model=spec.model, api_base=base_url, api_key=key or "not-needed",
                              is_chat_model=True, timeout=timeout, max_retries=0, temperature=TEMPERATURE,
                              max_tokens=MAX_OUTPUT_TOKENS, context_window=CONTEXT_WINDOW)
        path = Path(spec.model).expanduser()
        if not path.is_file():
            raise LLMConfigError(f"llamacpp model file '{path}' not found; give the path of a local .gguf file")
        from llama_index.llms.llama_cpp import LlamaCPP

        # CPU only (n_gpu_layers=0); the deadline in LLMWriter bounds the wait, not the computation.
        return LlamaCPP(model_path=str(path), temperature=TEMPERATURE, max_new_tokens=MAX_OUTPUT_TOKENS,
                        context_window=4096, model_kwargs={"n_gpu_layers": 0}, verbose=False)
    except ImportError as exc:
        raise _missing_extra(spec, exc) from None
