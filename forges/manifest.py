"""The GitHub App manifest (``app.yml``) filled in with the running server's URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "app.yml"


def load_manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST_PATH.read_text())


def manifest_for(base_url: str) -> dict[str, Any]:
    """``app.yml`` with every URL pointing at ``base_url`` (what GitHub must call back)."""
    base = base_url.rstrip("/")
    manifest = load_manifest()
    manifest["url"] = base
    manifest["hook_attributes"] = {"url": f"{base}/webhooks/github", "active": True}
    manifest["redirect_url"] = f"{base}/github/app/registered"
    manifest["setup_url"] = f"{base}/dashboard"
    return manifest
