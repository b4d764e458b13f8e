# syntax=docker/dockerfile:1
# TensorFleet: one image, two roles.
#   API (default):  python -m app       (listens on $PORT, 8000)
#   worker:         python -m workers   (metrics on $WORKER_METRICS_PORT, 9100)
# Dependencies come from uv.lock with the same uv and flags as `make` (uv sync --frozen --no-dev);
# the image holds the server (app/, workers/) and the client it depends on (client/: the API's
# schemas and the `tensorfleet` CLI).
# Build it as the tag the Helm chart pulls (its appVersion, the version in pyproject.toml):
#   docker build -t tensorfleet:0.1.0 .

# The base image by digest (the multi-arch index of python:3.11-slim-bookworm), so a rebuild
# gets the same interpreter and Debian packages; move it on purpose, with the digest that
# `docker buildx imagetools inspect python:3.11-slim-bookworm` prints.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

# ---- build: resolve the locked dependencies and the project into /opt/venv ----
FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.8
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml or the lock
# changes (README.md, which the project's metadata reads, comes with the code below). uv's
# download and wheel cache lives in a BuildKit cache mount: shared between builds, never in
# a layer. The client (client/, a workspace member the server depends on) is named in the lock,
# so its pyproject.toml comes with the lock.
COPY pyproject.toml uv.lock ./
COPY client/pyproject.toml ./client/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace
COPY README.md ./
COPY app ./app
COPY workers ./workers
COPY client/tensorfleet ./client/tensorfleet
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---- runtime: the interpreter, the virtualenv, a non-root user; no uv, pip or compilers ----
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="TensorFleet" \
      org.opencontainers.image.description="ML training service and model registry (API and arq worker)" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --system --gid 10001 tensorfleet \
    && useradd --system --uid 10001 --gid tensorfleet --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin tensorfleet
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8000 \
    WORKER_METRICS_PORT=9100 \
    AUTH_ENABLED=true
WORKDIR /app
USER 10001:10001
EXPOSE 8000 9100
# The API's own check (MongoDB and Redis reachable). The worker overrides it in compose.yaml and
# the Helm chart with `python -m workers --check`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["python", "-m", "app"]
