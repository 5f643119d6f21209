"""${{ values.name }}: ${{ values.description }}

Scaffolded from the platform's python-fastapi golden-path template.
"""

import json
import logging
import os
import socket
import sys
import time
from datetime import datetime, timezone

import uvicorn
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

SERVICE = "${{ values.name }}"
PORT = int(os.environ.get("PORT", "${{ values.port }}"))
HOSTNAME = socket.gethostname()


class JsonFormatter(logging.Formatter):
    """Structured JSON logs, one object per line: Promtail ships them to Loki as they are."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "hostname": HOSTNAME,
            "service": SERVICE,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["stack"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging() -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # uvicorn's own loggers go through the JSON handler; its access log is replaced by ours below.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    return logging.getLogger(SERVICE)


log = configure_logging()

REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled, by method, route and status.", ["method", "path", "status"]
)
DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration in seconds, by method, route and status.",
    ["method", "path", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

app = FastAPI(title=SERVICE)


@app.middleware("http")
async def log_requests(request: Request, call_next):
    """Request logging: one line per finished request, with its outcome and duration."""
    start = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        seconds = time.perf_counter() - start
        route = request.scope.get("route")
        path = getattr(route, "path", request.url.path)
        REQUESTS.labels(request.method, path, str(status)).inc()
        DURATION.labels(request.method, path, str(status)).observe(seconds)
        log.info(
            "Request completed",
            extra={
                "fields": {
                    "method": request.method,
                    "path": request.url.path,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "user_agent": request.headers.get("user-agent", ""),
                }
            },
        )


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


@app.get("/health")
def health():
    """Liveness: the process answers."""
    return {"status": "healthy", "timestamp": now()}


@app.get("/ready")
def ready():
    """Readiness: add checks of the service's dependencies (database, cache, ...) here."""
    return {"status": "ready", "timestamp": now()}


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@app.get("/")
def root():
    return {"service": SERVICE, "message": "Hello from ${{ values.name }}"}


def main() -> None:
    log.info(f"{SERVICE} listening on port {PORT}", extra={"fields": {"port": PORT}})
    uvicorn.run(app, host="0.0.0.0", port=PORT, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
