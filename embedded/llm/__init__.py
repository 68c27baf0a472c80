"""A language model on the CPU: a GGUF model served by llama.cpp over the OpenAI API
(`unmute-ops serve llm`).

`model_files` picks the file (packaged, local or downloaded), `model_loading` loads it in
the CPU's fastest layout, `engine` generates one reply at a time while reusing computed
prompts, and `server.create_app` answers `/v1/models` and `/v1/chat/completions`.
"""
