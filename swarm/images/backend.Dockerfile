# The conversation backend (`unmute-ops serve backend`).
#
# BASE_IMAGE: any Debian bookworm image with Python 3.11 and its venv module. Without a
# registry, `unmute-ops images` imports one made with debootstrap from the apt mirror.
# Python packages need no network: `unmute-ops images` puts in the context the wheels of
# requirements/backend.txt, the backend's lock file, and nothing else.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# The system's libopus encodes the bot's voice at a fraction of the CPU (the debootstrap base
# has it; a slim online base gets it here).
RUN ldconfig -p | grep -q "libopus.so.0" \
    || (apt-get update && apt-get install -y --no-install-recommends libopus0 \
        && rm -rf /var/lib/apt/lists/*)

# Dependencies first and the project last, so a code change rebuilds one small layer. The
# lock is complete: its wheels go in without resolving, and `pip check` proves it.
COPY wheels/backend /tmp/wheels/backend
RUN python3 -m venv /opt/unmute \
    && /opt/unmute/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \
        --no-deps /tmp/wheels/backend/*.whl \
    && /opt/unmute/bin/pip check --disable-pip-version-check \
    && rm -rf /tmp/wheels
COPY wheels/project /tmp/wheels/project
RUN /opt/unmute/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \
        --no-deps /tmp/wheels/project/*.whl \
    && rm -rf /tmp/wheels

COPY entrypoint.sh /usr/local/bin/unmute-entrypoint
RUN useradd --system --uid 10001 --create-home --home-dir /home/unmute unmute
ENV PATH=/opt/unmute/bin:$PATH PYTHONUNBUFFERED=1
USER unmute
EXPOSE 8000
# Liveness only: /v1/voices answers while the process serves. Readiness (/v1/ready) is for
# routing; a full or draining backend must not be restarted for being busy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v1/voices', timeout=3)"]
ENTRYPOINT ["unmute-entrypoint"]
# `unmute-ops serve …` without the rest of the CLI: see ops/swarm/serve.py.
CMD ["python3", "-m", "ops.swarm.serve", "backend", "--host", "0.0.0.0", "--port", "8000"]
