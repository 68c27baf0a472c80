"""Simulated browser clients that measure every latency."""
