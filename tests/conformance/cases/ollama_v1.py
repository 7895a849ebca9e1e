"""Conformance cases: ollama_v1."""

from __future__ import annotations

from ..case import Case

CASES: list[Case] = []
