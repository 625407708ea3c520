"""Answers questions about the trial entries: safety gate, retrieval, grounded writer, citations."""
