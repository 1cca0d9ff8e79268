# Vereinsraum app image: the same gunicorn/worker commands as deploy/prod_check.py (what CI proves).
# docker build -t vereinsraum . ; run it with compose.yaml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi.py \
    STATIC_BUILD_DIR=/app/build/static \
    DATA_EXPORT_DIR=/data/exports \
    GUNICORN_BIND=0.0.0.0:8000 \
    FORWARDED_ALLOW_IPS=*

# pg_dump/pg_restore for `flask backup`/`flask restore` (Debian 12: PostgreSQL 15 client), DejaVu for PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin vereinsraum

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install ".[postgres]"
COPY . .
RUN pybabel compile -f -d app/translations \
    && flask assets \
    && mkdir -p /app/instance /data/exports \
    && chown -R vereinsraum:vereinsraum /app/instance /data

USER vereinsraum
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
