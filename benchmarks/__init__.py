"""Benchmarks: client CPU per streamed chunk, TTFT, concurrency, imports, end to end."""
