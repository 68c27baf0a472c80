# The browser app: the static export of frontend/ (or a placeholder page before it is built),
# served by a small standard-library server. BASE_IMAGE: any image with Python 3.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

COPY site /srv/www
COPY static_server.py /usr/local/lib/unmute/static_server.py
USER nobody
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/', timeout=3)"]
CMD ["python3", "/usr/local/lib/unmute/static_server.py", "--root", "/srv/www", "--port", "8080"]
