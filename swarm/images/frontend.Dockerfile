# The browser app: the static export of frontend/ (`npm run build` writes frontend/out),
# served by nginx as an unprivileged user: pages revalidated, content-hashed assets cached
# for a year, text compressed (frontend-nginx.conf).
#
# BASE_IMAGE: any Debian bookworm image. Without a registry, `unmute-ops images` imports one
# made with debootstrap that already has nginx.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

RUN command -v nginx >/dev/null \
    || (apt-get update && apt-get install -y --no-install-recommends nginx \
        && rm -rf /var/lib/apt/lists/*)
# run/ is the only place nginx writes (pid file, buffers).
RUN mkdir -p /srv/unmute/run && chown nobody:nogroup /srv/unmute/run
COPY frontend-nginx.conf /etc/unmute/nginx.conf
COPY site /srv/unmute/site
USER nobody
EXPOSE 8080
# No curl or Python here: bash asks for the home page itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
CMD ["nginx", "-p", "/srv/unmute/", "-c", "/etc/unmute/nginx.conf", "-e", "stderr"]
