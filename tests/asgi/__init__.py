"""The example under real ASGI servers: uvicorn (alone and with ``--workers``) and gunicorn
with ``uvicorn_worker.UvicornWorker``; the lifespan protocol, the drain on SIGTERM, the span
flush at shutdown, tracing across awaits, middleware modes and request-head limits."""
