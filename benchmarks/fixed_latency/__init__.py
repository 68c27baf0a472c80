"""STT, TTS and LLM servers with fixed, known latencies, speaking the real protocols.

They stand in for GPU servers when measuring what the backend itself adds. Each stamps
its own side of every turn on the host's monotonic clock (one clock for all processes),
keyed by a word that travels through the conversation, so a benchmark can separate
time spent inside a server from time spent between servers. See `__main__.py`.
"""
