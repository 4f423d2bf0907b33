"""The worker: one job, the queue handlers, cleanup of stuck jobs, the queue."""
