"""HTTP plumbing: the app class, CORS, body limits, request validation, OpenAPI."""
