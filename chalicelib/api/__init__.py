"""The request layer: each resource's requests parsed and validated in one home, the
domain called with typed arguments, and the response body shaped (app.py routes call
these; the domain packages never read a query string or a JSON body)."""
