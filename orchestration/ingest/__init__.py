"""Ingest: vendor export files in the landing folder → canonical ``raw`` tables (see run.py)."""
