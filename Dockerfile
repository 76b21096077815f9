# The bot's image: dependencies installed from uv.lock in a layer of their own (rebuilt only when
# the lock changes), the code on top, run as an unprivileged user. The organisation file is not
# in the image: it is the school's, mounted at run time (see docker-compose.yml).

FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
# What the bot never reads, about 120 MB: mplfonts ships six CJK fonts and the chart loads one
# (bot/digest/chart.py, FONT_FILE); babel ships every locale's data and the bot speaks two.
RUN site=.venv/lib/python3.11/site-packages \
    && find "$site/mplfonts/fonts" -type f ! -name NotoSansCJKsc-Regular.otf -delete \
    && find "$site/babel/locale-data" -type f ! -name root.dat ! -name "zh*" ! -name "en*" -delete
COPY README.md LICENSE ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY templates templates
RUN uv sync --locked --no-dev

FROM python:3.11-slim-bookworm
# The digest's chart loads its own font (mplfonts); this is the system's fallback for Chinese
# drawn without naming a font. WenQuanYi Micro Hei is a few MB where Noto CJK is hundreds.
# Pinning Debian's version would break the build at its next point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin studentvoice
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The user's home (/app) is not writable: matplotlib keeps its font cache in /tmp instead.
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    ORGANISATION_FILE=/etc/studentvoice/organisation.toml
USER 10001
# /healthz on HTTP_LISTEN (a wildcard address asked on loopback): 503 (the database away, the
# outbox stuck) or no answer makes urlopen raise, and the container unhealthy. No curl here.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-c", "import os, urllib.request; host, _, port = (os.environ.get('HTTP_LISTEN') or '127.0.0.1:8080').rpartition(':'); host = '127.0.0.1' if host in ('', '0.0.0.0', '[::]') else host; urllib.request.urlopen(f'http://{host}:{port}/healthz', timeout=8)"]
CMD ["studentvoice", "run"]
