"""Assembling the code viewer page: the tree, the open file, its threads and the comment list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

import policy
from models.tickets import Submission
from models.users import User
from reviews import comments
from reviews.diffs import DiffLine, suggestion_diff
from reviews.highlight import RenderedFile, render_file


@dataclass
class TreeNode:
    name: str
    path: str
    children: dict[str, TreeNode] = field(default_factory=dict)
    file: Any = None
    comments: int = 0

    @property
    def sorted_children(self) -> list[TreeNode]:
        return sorted(self.children.values(), key=lambda n: (n.file is not None, n.name.lower()))


def build_tree(files: list[Any], counts: dict[str, int]) -> TreeNode:
    root = TreeNode("", "")
    for f in files:
        node = root
        parts = f.path.split("/")
        for i, part in enumerate(parts):
            node = node.children.setdefault(part, TreeNode(part, "/".join(parts[: i + 1])))
        node.file = f
        node.comments = counts.get(f.path, 0)
    return root


ROW = (
    '<tr id="L{n}"><td class="vt-ln"><a href="#L{n}" data-line="{n}">{n}</a></td>'
    '<td class="vt-src">{line}</td></tr>'
)


def code_segments(lines: list[Markup], break_after: set[int]) -> list[tuple[Markup, int | None]]:
    """The file's table rows in runs, each run ending at a line that carries threads.

    Joining rows in Python (rather than looping over 5,000 lines in the template) keeps the
    page's cost close to the highlighting itself; the template only places the threads.
    """
    segments: list[tuple[Markup, int | None]] = []
    run: list[str] = []
    for n, line in enumerate(lines, start=1):
        run.append(ROW.format(n=n, line=line))
        if n in break_after:
            segments.append((Markup("".join(run)), n))  # noqa: S704 - escaped by Pygments
            run = []
    if run:
        segments.append((Markup("".join(run)), None))  # noqa: S704 - escaped by Pygments
    return segments


@dataclass
class ThreadView:
    thread: comments.Thread
    diff: list[DiffLine] | None

    @property
    def root(self):  # type: ignore[no-untyped-def]
        return self.thread.root


@dataclass
class ViewerPage:
    ticket: Submission
    files: list[Any]
    tree: TreeNode
    path: str | None
    rendered: RenderedFile | None
    segments: list[tuple[Markup, int | None]]
    threads_by_line: dict[int, list[ThreadView]]
    side: list[tuple[str, list[comments.Thread]]]
    order: list[tuple[str, int]]
    can_start: bool
    can_reply: bool
    can_resolve: bool


def _default_path(files: list[Any]) -> str | None:
    for f in files:
        if not f.is_binary:
            return f.path
    return files[0].path if files else None


def build_page(session: Session, ticket: Submission, user: User, path: str | None) -> ViewerPage:
    from intake.code import list_files, read_file

    files = sorted(list_files(ticket), key=lambda f: f.path)
    known = {f.path for f in files}
    if path not in known:
        path = _default_path(files)
    threads = comments.threads_for_ticket(session, ticket)
    grouped: dict[str, list[comments.Thread]] = defaultdict(list)
    for thread in threads:
        grouped[thread.root.file_path or ""].append(thread)
    rendered = render_file(path, read_file(ticket, path)) if path else None
    by_line: dict[int, list[ThreadView]] = defaultdict(list)
    for thread in grouped.get(path or "", []):
        root = thread.root
        diff = None
        if root.suggestion is not None and rendered is not None and rendered.kind == "text":
            original = rendered.source_lines[(root.line_start or 1) - 1 : root.line_end or 0]
            diff = suggestion_diff(original, root.suggestion)
        by_line[root.line_end or root.line_start or 1].append(ThreadView(thread, diff))
    side = sorted(grouped.items())
    order = [(p, t.root.id) for p, ts in side for t in ts]
    return ViewerPage(
        ticket=ticket,
        files=files,
        tree=build_tree(files, {p: len(ts) for p, ts in grouped.items()}),
        path=path,
        rendered=rendered,
        segments=code_segments(rendered.lines, set(by_line)) if rendered else [],
        threads_by_line=dict(by_line),
        side=side,
        order=order,
        can_start=comments.can_start_thread(user, ticket),
        can_reply=policy.can_comment(user, ticket),
        can_resolve=policy.can_resolve_comment(user, ticket),
    )
