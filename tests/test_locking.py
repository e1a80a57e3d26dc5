"""One writer on the warehouse and one publisher, whatever runs the steps (``workforce.locking``)."""

from __future__ import annotations

import threading
import time

import pytest
from workforce.locking import WarehouseLockTimeout, lock_path, publish_lock, warehouse_lock


def test_a_second_step_waits_names_the_holder_and_gives_up_cleanly(small_settings):
    said: list[str] = []
    first = warehouse_lock(small_settings, "transform", "2026-09")
    second = warehouse_lock(small_settings, "extract", "2026-10", say=said.append, timeout=0.3, poll=0.05)
    with first, pytest.raises(WarehouseLockTimeout) as err, second:
        pytest.fail("two holders at once")
    message = str(err.value)
    assert "held by transform 2026-09" in message and "nothing was changed" in message
    assert said and "waiting for the warehouse" in said[0]
    assert lock_path(small_settings).parent == small_settings.data_dir / "locks"
    assert not any(p.name.endswith(".lock") for p in small_settings.published_dir.rglob("*"))


def test_the_waiting_step_runs_as_soon_as_the_holder_is_done(small_settings):
    order: list[str] = []

    def second():
        with warehouse_lock(small_settings, "validate", "2026-08", timeout=5, poll=0.02):
            order.append("second")

    with warehouse_lock(small_settings, "transform", "2026-09"):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]


def test_publishing_has_its_own_lock(small_settings):
    # A month can publish while another month's transform holds the warehouse.
    with warehouse_lock(small_settings, "transform", "2026-09"), publish_lock(small_settings, "2026-08", timeout=0.3):
        assert True
