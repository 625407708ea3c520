"""Benchmarks: synthetic corpora and `python -m bench.run`. Never imported by the app or the tests' hot path."""
