FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
# The whole dependency tree as locked (hashes checked), then our code without re-resolving anything.
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY config ./config
COPY solver ./solver
COPY scheduler ./scheduler
COPY web ./web
RUN pip install --no-cache-dir --no-deps . && useradd --system coaching && mkdir -p /var/lib/coaching && chown coaching /var/lib/coaching
USER coaching
EXPOSE 8000
