"""Benchmarks that run from a source checkout: ``bench/load.py`` (HTTP load) and ``rag bench speed``."""
