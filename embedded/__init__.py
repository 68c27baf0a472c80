"""CPU stand-ins that speak the GPU speech servers' protocols, and an LLM stand-in."""
