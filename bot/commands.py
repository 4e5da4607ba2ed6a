"""Reading ``/review``, ``/status``, ``/cancel``, ``/rate`` and ``/help`` out of a comment.

Pure parsing: no database, no forge. The first line starting with ``/`` is the command;
anything else in the comment is ignored, so people can explain themselves around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REVIEW_TYPES = ("security", "performance", "best-practices")
ALIASES = {
    "best_practices": "best-practices",
    "bestpractices": "best-practices",
    "perf": "performance",
}

HELP_TEXT = """**Vetted commands** (comment on this pull request):

- `/review [security] [performance] [best-practices] [notes for the reviewer]` — request an audit \
(needs write access to the repository)
- `/status` — where the audit stands
- `/cancel` — cancel the audit before the review starts
- `/rate 1-5 [comment]` — rate the completed review (the author of the request only)
- `/help` — this message

You can also add the label `vetted` (or `vetted:security`, `vetted:performance`, \
`vetted:best-practices`)."""


@dataclass(frozen=True)
class Command:
    name: str  # review | status | cancel | rate | help
    review_types: tuple[str, ...] = ()
    text: str = ""
    score: int | None = None
    problem: str = ""  # set when the command was recognised but its arguments were not
    raw: str = field(default="", compare=False)


_COMMAND_LINE = re.compile(r"^\s*/([A-Za-z][\w-]*)\b(.*)$")


def parse_command(body: str | None) -> Command | None:
    """The command in a comment, ``Command("help")`` for an unknown one, None for no command."""
    for line in (body or "").splitlines():
        match = _COMMAND_LINE.match(line)
        if match is None:
            continue
        name, rest = match.group(1).lower(), match.group(2).strip()
        parser = _PARSERS.get(name)
        if parser is None:
            return Command("help", problem=f"Unknown command `/{name}`.", raw=line.strip())
        return parser(rest, line.strip())
    return None


def _review(rest: str, raw: str) -> Command:
    words = rest.split()
    types: list[str] = []
    while words:
        word = ALIASES.get(words[0].lower(), words[0].lower())
        if word not in REVIEW_TYPES:
            break
        if word not in types:
            types.append(word)
        words.pop(0)
    return Command("review", tuple(types), " ".join(words), raw=raw)


def _rate(rest: str, raw: str) -> Command:
    match = re.match(r"^(\d+)(?:\s*/\s*5)?\b\s*(.*)$", rest, re.S)
    if match is None or not 1 <= int(match.group(1)) <= 5:
        return Command(
            "rate", problem="Please rate from 1 to 5, e.g. `/rate 5 Very thorough`.", raw=raw
        )
    return Command("rate", score=int(match.group(1)), text=match.group(2).strip(), raw=raw)


def _plain(name: str):  # type: ignore[no-untyped-def]
    return lambda rest, raw: Command(name, text=rest, raw=raw)


_PARSERS = {
    "review": _review,
    "status": _plain("status"),
    "cancel": _plain("cancel"),
    "rate": _rate,
    "help": _plain("help"),
}


def review_types_from_labels(
    labels: list[str], config_labels: dict[str, list[str]]
) -> list[str] | None:
    """The review types a set of labels asks for, or None when no Vetted label is present.

    ``config_labels`` maps a label to the review types it asks for (``[]``: any/all).
    """
    found = False
    types: list[str] = []
    for label in labels:
        if label in config_labels:
            found = True
            for kind in config_labels[label]:
                if kind not in types:
                    types.append(kind)
    if not found:
        return None
    return types or list(REVIEW_TYPES)
