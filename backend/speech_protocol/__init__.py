"""moshi-server's speech protocols (protocols.md §2 and §3), in one place.

The backend's STT and TTS clients and the embedded CPU speech servers both speak these
protocols; both import their constants, message types and codecs from here, and both are
tested against the same golden msgpack vectors (tests/golden/moshi/). This package
depends on numpy and msgspec only, so a speech server image needs nothing else of the
backend.
"""
