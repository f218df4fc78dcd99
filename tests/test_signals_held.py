"""A signal that arrives while an output is being renamed into place waits for the rename,
whichever thread of the process the operating system hands it to."""

from __future__ import annotations

import signal
import sys
import threading
import time

import pytest

from patalliance.cli._common import interruptible
from patalliance.safe_output import Interrupted, _signals_held

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class _Sender:
    """A thread started before the held block (as numpy's and pyarrow's workers are, so it
    does not inherit the block's signal mask) that receives SIGINT when told to."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        self.go.wait()
        signal.raise_signal(signal.SIGINT)  # delivered to this thread, not the main one

    def send(self) -> None:
        self.go.set()
        self.thread.join()


def test_a_signal_received_by_another_thread_waits_for_the_held_block() -> None:
    done = []
    sender = _Sender()
    with pytest.raises(Interrupted) as caught, interruptible():
        with _signals_held():
            sender.send()
            time.sleep(0.05)  # the main thread runs the handler here: it must not raise
            done.append("renamed")
    assert done == ["renamed"]
    assert caught.value.signum == signal.SIGINT


def test_outside_a_held_block_a_signal_interrupts_at_once() -> None:
    sender = _Sender()
    with pytest.raises(Interrupted), interruptible():
        sender.send()
        time.sleep(5)  # interrupted long before this ends
        pytest.fail("not interrupted")
