# Kyutai's moshi-server (Rust, CUDA) for the GPU STT and TTS services, compiled at build time
# so a task starts in seconds. Needs a registry and the network to build (CUDA base image,
# Rust, crates.io, PyPI); build it where those are reachable and push it to your registry.
#
#   docker build -f swarm/images/moshi-server.Dockerfile \
#     --build-arg CUDA_COMPUTE_CAP=89 -t registry.example.com/unmute/moshi-server swarm/images
#
# CUDA_COMPUTE_CAP is the GPUs' compute capability without the dot (80 A100, 86 A10/3090,
# 89 L4/L40S/4090, 90 H100): the kernels are compiled for it, with no GPU needed to build.
ARG CUDA_IMAGE=nvidia/cuda:12.9.1-devel-ubuntu22.04
FROM ${CUDA_IMAGE}

ARG MOSHI_SERVER_VERSION=0.6.4
# The moshi repository commit whose Python environment matches that server release (the
# TTS runs part of its model in Python).
ARG MOSHI_COMMIT=bf359af7694add34c13e65d2f009f0cb474d87cc
ARG CUDA_COMPUTE_CAP=89
ENV DEBIAN_FRONTEND=noninteractive CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP}

RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential ca-certificates cmake curl libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://sh.rustup.rs | sh -s -- -y --profile minimal
RUN curl -fsSL https://astral.sh/uv/install.sh | env UV_INSTALL_DIR=/usr/local/bin sh
ENV PATH=/root/.cargo/bin:$PATH

WORKDIR /opt/moshi-server
RUN curl -fsSLO https://raw.githubusercontent.com/kyutai-labs/moshi/${MOSHI_COMMIT}/rust/moshi-server/pyproject.toml \
    && curl -fsSLO https://raw.githubusercontent.com/kyutai-labs/moshi/${MOSHI_COMMIT}/rust/moshi-server/uv.lock \
    && uv sync --locked --no-install-project
ENV VIRTUAL_ENV=/opt/moshi-server/.venv PATH=/opt/moshi-server/.venv/bin:/root/.cargo/bin:$PATH
# The server embeds that environment's Python: link against it, find it at run time.
RUN export LD_LIBRARY_PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')" \
    && cargo install --locked --features cuda moshi-server@${MOSHI_SERVER_VERSION} \
    && rm -rf /root/.cargo/registry \
    && echo "$LD_LIBRARY_PATH" > /etc/ld.so.conf.d/moshi-python.conf && ldconfig

COPY moshi-entrypoint.sh /usr/local/bin/moshi-entrypoint
EXPOSE 8080
# First start downloads the models (GBs): give it time before health counts.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10m --retries=3 \
    CMD ["curl", "-fsS", "http://127.0.0.1:8080/api/build_info"]
ENTRYPOINT ["moshi-entrypoint"]
