"""Unmute conversation backend: the realtime server between browsers and STT, LLM and TTS."""
