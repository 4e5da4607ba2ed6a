"""Group commit: concurrent callers share a batch, each gets its own outcome, nobody is lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest

from webhooks.group_commit import GroupCommit, LeaderStopped


class Recorder:
    """A commit function that records its batches; while ``gate`` is closed, the first batch
    waits, so callers arriving meanwhile queue up behind it. ``raises`` maps a batch's number
    (from 1) to what committing it raises."""

    def __init__(
        self,
        outcome: Callable[[str], object] = lambda item: f"stored {item}",
        raises: dict[int, BaseException] | None = None,
    ):
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.outcome = outcome
        self.raises = raises or {}

    def __call__(self, items: Sequence[str]) -> list[object]:
        self.batches.append(list(items))
        self.gate.wait(10)
        if len(self.batches) in self.raises:
            raise self.raises[len(self.batches)]
        return [self.outcome(item) for item in items]


def _in_threads(
    group: GroupCommit, items: list[str], outcomes: dict[str, object] | None = None
) -> tuple[dict[str, object], list[threading.Thread]]:
    """Submit each item from its own thread; outcomes land in the returned dict."""
    outcomes = {} if outcomes is None else outcomes

    def submit(item: str) -> None:
        try:
            outcomes[item] = group.submit(item)
        except BaseException as exc:  # noqa: BLE001 - the outcome under test
            outcomes[item] = exc

    threads = [threading.Thread(target=submit, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    return outcomes, threads


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _hold_first_batch(group: GroupCommit, recorder: Recorder, followers: list[str]):  # type: ignore[no-untyped-def]
    """A leader's commit in flight with ``followers`` queued behind it; every outcome lands in
    the returned dict once the threads are finished."""
    recorder.gate.clear()
    outcomes, lead_threads = _in_threads(group, ["lead"])
    _wait_until(lambda: len(recorder.batches) == 1)
    _, threads = _in_threads(group, followers, outcomes)
    _wait_until(lambda: group.waiting == len(followers))
    return outcomes, lead_threads + threads


def _finish(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()


def test_a_lone_caller_commits_at_once_in_a_batch_of_one():
    recorder = Recorder()
    sizes: list[int] = []
    group = GroupCommit(recorder, observe=sizes.append)

    assert group.submit("a") == "stored a"
    assert group.submit("b") == "stored b"
    assert recorder.batches == [["a"], ["b"]]
    assert sizes == [1, 1]
    assert group.waiting == 0


def test_callers_arriving_during_a_commit_are_committed_together_each_with_its_own_outcome():
    recorder = Recorder()
    group = GroupCommit(recorder)
    outcomes, threads = _hold_first_batch(group, recorder, ["b", "c", "d"])

    recorder.gate.set()
    _finish(threads)

    assert recorder.batches[0] == ["lead"]
    assert sorted(recorder.batches[1]) == ["b", "c", "d"]  # one batch, one commit
    assert outcomes == {item: f"stored {item}" for item in ("lead", "b", "c", "d")}


def test_a_batch_never_exceeds_its_limit_and_the_rest_are_committed_after_it():
    recorder = Recorder()
    group = GroupCommit(recorder, max_batch=2)
    outcomes, threads = _hold_first_batch(group, recorder, ["b", "c", "d", "e", "f"])

    recorder.gate.set()
    _finish(threads)

    assert [len(batch) for batch in recorder.batches] == [1, 2, 2, 1]
    assert sorted(item for batch in recorder.batches for item in batch) == sorted(
        ["lead", "b", "c", "d", "e", "f"]
    )
    assert outcomes == {item: f"stored {item}" for item in ("lead", *"bcdef")}
    assert group.waiting == 0


def test_a_failed_batch_fails_every_caller_in_it_with_its_own_copy_and_the_next_batch_commits():
    recorder = Recorder(raises={2: ConnectionError("database unreachable")})
    group = GroupCommit(recorder)
    outcomes, threads = _hold_first_batch(group, recorder, ["b", "c"])
    recorder.gate.set()
    _finish(threads)

    assert outcomes["lead"] == "stored lead"
    errors = [outcomes["b"], outcomes["c"]]
    assert all(isinstance(error, ConnectionError) for error in errors)
    assert str(errors[0]) == str(errors[1]) == "database unreachable"
    assert errors[0] is not errors[1]  # two threads never share (and grow) one traceback
    assert group.submit("later") == "stored later"


def test_an_item_that_fails_alone_fails_only_its_own_caller():
    def outcome(item: str) -> object:
        return ValueError(f"{item} refused") if item == "bad" else f"stored {item}"

    recorder = Recorder(outcome)
    group = GroupCommit(recorder)
    outcomes, threads = _hold_first_batch(group, recorder, ["good", "bad"])
    recorder.gate.set()
    _finish(threads)

    assert outcomes["good"] == "stored good"
    assert isinstance(outcomes["bad"], ValueError) and str(outcomes["bad"]) == "bad refused"


class Stop(BaseException):
    """What a process going down raises through the committing thread."""


def test_a_leader_stopped_mid_commit_releases_its_batch_and_hands_the_lead_on():
    recorder = Recorder(raises={2: Stop()})
    group = GroupCommit(recorder, max_batch=2)
    outcomes, threads = _hold_first_batch(group, recorder, ["b", "c", "d"])
    recorder.gate.set()
    _finish(threads)

    leader, follower = recorder.batches[1]  # in the order they queued: the first leads
    assert isinstance(outcomes[leader], Stop)  # the leader itself is the one stopping
    assert isinstance(outcomes[follower], LeaderStopped)
    [last] = recorder.batches[2]  # nobody is left waiting
    assert outcomes[last] == f"stored {last}"
    assert group.waiting == 0


def test_many_threads_submitting_at_once_each_get_their_own_item_committed_exactly_once():
    committed: list[str] = []
    lock = threading.Lock()

    def commit_many(items: Sequence[str]) -> list[str]:
        time.sleep(0.001)  # a round trip, during which others queue up
        with lock:
            committed.extend(items)
        return [f"stored {item}" for item in items]

    sizes: list[int] = []
    group = GroupCommit(commit_many, max_batch=8, observe=sizes.append)
    items = [f"t{thread}-{n}" for thread in range(16) for n in range(40)]
    outcomes: dict[str, object] = {}

    def run(thread: int) -> None:
        for n in range(40):
            item = f"t{thread}-{n}"
            outcomes[item] = group.submit(item)

    threads = [threading.Thread(target=run, args=(thread,)) for thread in range(16)]
    for thread in threads:
        thread.start()
    _finish(threads)

    assert sorted(committed) == sorted(items)  # each once
    assert outcomes == {item: f"stored {item}" for item in items}
    assert max(sizes) > 1 and max(sizes) <= 8
    assert sum(sizes) == len(items)


def test_a_commit_function_answering_the_wrong_number_of_outcomes_is_a_loud_error():
    group = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="0 outcomes for a batch of 1"):
        group.submit("a")
    assert group.waiting == 0


def test_a_batch_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommit(lambda items: items, max_batch=0)
