"""Notifications: outbox events to on-site alerts and e-mail."""
