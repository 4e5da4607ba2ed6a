"""How a job tells the runner what to do with a failure."""


class RetryLater(Exception):  # noqa: N818 - reads as an instruction at the raise site
    """Not a failure: the job is waiting on something outside (clamd down, rate limit).

    It is rescheduled after ``delay`` seconds without using up the attempt budget, so a long
    outage delays work but never turns it into a failure.
    """

    def __init__(self, reason: str, delay: float = 30.0):
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class PermanentJobError(Exception):
    """Retrying cannot help (the object is gone, the input is invalid): fail the row now."""
