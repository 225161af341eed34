# syntax=docker/dockerfile:1
# kyr-bot container image. Build: docker build -t kyr-bot:0.2.0 .   (the tag is the version in pyproject.toml)
# Run (read-only root filesystem; state in the /data volume; token as a secret file): see compose.yaml
# and "Run it 24/7" in README.md.

# --- builder: turn the source tree into a wheel (knowledge/ and locales/ go inside it, and the matcher's
# model fitted on that knowledge base, so the bot starts in about a second) ------------------------------
FROM python:3.12-slim-bookworm AS builder
WORKDIR /src
# Exactly what the wheel is built from; tests/e2e/test_deploy.py builds a wheel from these paths only.
COPY pyproject.toml setup.py README.md LICENSE ./
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY locales/ locales/
RUN pip install --no-cache-dir --disable-pip-version-check . \
    && kyr-bot train --out /src/bot/matching/model \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- runtime --------------------------------------------------------------------------------------------
FROM python:3.12-slim-bookworm
LABEL org.opencontainers.image.title="kyr-bot" \
      org.opencontainers.image.description="Bilingual (English/Spanish) know-your-rights Telegram bot" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="0.2.0"

# pip byte-compiles the package at install time, so nothing needs writing when the root is read-only.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --disable-pip-version-check /wheels/*.whl

# An unprivileged user with a fixed uid (give it the token file: chown 10001) and no home directory.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin kyr \
    && mkdir /data \
    && chown kyr:kyr /data \
    && chmod 0700 /data

ENV KYR_DATA_DIR=/data \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 CMD ["kyr-bot", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["kyr-bot"]
CMD ["run"]
