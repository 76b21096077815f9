FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock README.md ./
COPY bot bot
COPY handlers handlers
COPY storage storage
COPY templates templates
COPY config config
RUN uv sync --locked --no-dev
CMD ["sh", "-c", "uv run --no-dev studentvoice migrate && exec uv run --no-dev studentvoice run"]
