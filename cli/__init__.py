"""The operator's command line: ``flask --app app <group> <command>``."""

from __future__ import annotations

import importlib

from flask import Flask

# Each module exposes ``commands``: a list of click groups/commands to add to the app.
CLI_MODULES: list[str] = [
    "cli.users",
    "cli.keys",
    "cli.database",
    "cli.jobs",
    "cli.reviewers",
    "cli.demo",
    "cli.forges",
    "cli.ipblocks",
]


def register_cli(app: Flask) -> None:
    for module_name in CLI_MODULES:
        for command in importlib.import_module(module_name).commands:
            app.cli.add_command(command)
