"""Inbound HTTP from forges: verify, de-duplicate, store, enqueue, answer 202."""
