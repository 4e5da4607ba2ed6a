"""The web door: pages, the JSON API, errors and health checks."""
