"""The HTTP API: a thin FastAPI layer over :class:`rag.pipeline.Pipeline`.

``api.app.create_app(settings)`` builds the application; ``rag serve`` runs it under
uvicorn. Modules: ``models`` (request and response bodies), ``routes`` (endpoints),
``service`` (loading, serialised writes, following other workers' writes), ``auth``
(bearer tokens), ``errors`` (the one error shape, body limit), ``logging`` (request ids,
JSON access log), ``metrics`` (Prometheus).
"""
