FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY solver ./solver
COPY scheduler ./scheduler
COPY web ./web
RUN pip install --no-cache-dir . && useradd --system coaching && mkdir -p /var/lib/coaching && chown coaching /var/lib/coaching
USER coaching
EXPOSE 8000
