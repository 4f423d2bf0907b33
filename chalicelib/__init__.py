"""Business logic of YouTube Study Buddy, importable without Chalice routes."""
