"""Talking to GitHub and GitLab: one HTTP policy (retries, rate limits), App auth, credentials."""
