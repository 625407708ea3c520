"""Reads trial entries from corpus/ and writes them, chunked and embedded, into the Chroma store."""
