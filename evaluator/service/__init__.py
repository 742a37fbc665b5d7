"""The decision service behind `evaluator serve` (docs/service.md): an ASGI application on
Starlette, served by uvicorn, over one Evaluator per worker process. Needs the `service` extra.

    config.py     what a worker is started with (passed through the environment)
    bodies.py     request bodies into records, with the limits
    app.py        the endpoints, the bearer token, the policy headers
    reloader.py   reload on a file change and on SIGHUP
    metrics.py    Prometheus metrics; decisionlog.py the optional audit log
    openapi.py    the OpenAPI document from the JSON Schemas
    server.py     uvicorn, the workers and the signals
"""
