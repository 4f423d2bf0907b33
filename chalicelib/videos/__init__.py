"""Videos: the API side, and the one module that writes the videos table."""
