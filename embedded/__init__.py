"""CPU servers that speak the GPU speech servers' protocols, and a CPU language model
(llama.cpp) behind the OpenAI API."""
