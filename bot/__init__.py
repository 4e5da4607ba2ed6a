"""Outbound to forges: GitHub (gidgethub + App JWT) and GitLab (python-gitlab)."""
