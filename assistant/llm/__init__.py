"""Optional LLM answer writers (Ollama, OpenAI-compatible servers, llama.cpp), validated, with grounded fallback.

prompts.py  - the one prompt: rules and numbered sources
providers.py - `--llm PROVIDER:MODEL` -> a llama-index LLM (client packages are optional extras)
validate.py - sentence-by-sentence check of a reply; renumbers citations
writer.py   - LLMWriter: deadline, streaming, fallback; make_writer(settings)
"""

from .providers import LLMConfigError
from .writer import LLMWriter, make_writer, partial_text_sink

__all__ = ["LLMConfigError", "LLMWriter", "make_writer", "partial_text_sink"]
