import sys
import types

import pytest

from course_utils import _memory


@pytest.fixture
def fake_kernel(monkeypatch):
    """An IPython kernel's shell, as far as the hook needs one: ``events.register``."""
    registered = []
    shell = types.SimpleNamespace(events=types.SimpleNamespace(
        register=lambda event, fn: registered.append((event, fn))))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    monkeypatch.setattr(_memory, "_HOOKED", [])
    return registered


@pytest.mark.skipif(_memory._libc_trim() is None, reason="glibc's malloc_trim: Linux only")
def test_one_hook_after_every_cell_in_a_kernel(fake_kernel):
    assert _memory.release_after_cells() and _memory.release_after_cells()   # twice: one hook
    assert [event for event, _ in fake_kernel] == ["post_run_cell"]
    fake_kernel[0][1](None)   # what IPython calls after a cell: returns memory, changes nothing else


def test_no_hook_outside_a_kernel(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    monkeypatch.setattr(_memory, "_HOOKED", [])
    assert not _memory.release_after_cells()


def test_no_hook_without_glibc(fake_kernel, monkeypatch):
    monkeypatch.setattr(_memory, "_libc_trim", lambda: None)   # macOS, Windows, musl
    assert not _memory.release_after_cells() and not fake_kernel
