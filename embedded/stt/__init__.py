"""CPU speech-to-text server speaking moshi-server's `asr-streaming` protocol."""
