"""OpenAI's Realtime API (GA) beside the Unmute protocol, on the same conversation core."""
