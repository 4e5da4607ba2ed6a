"""The durable job pipeline: outbox rows, the runner, the dispatchers and the periodic schedule."""
