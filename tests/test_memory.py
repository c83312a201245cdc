import subprocess
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
    monkeypatch.setattr(_memory, "skip_triton_without_gpu", lambda: registered.append(("triton", None)))
    return registered


@pytest.mark.skipif(_memory._libc_trim() is None, reason="glibc's malloc_trim: Linux only")
def test_one_hook_after_every_cell_in_a_kernel(fake_kernel):
    assert _memory.release_after_cells() and _memory.release_after_cells()   # twice: one hook
    assert [event for event, _ in fake_kernel] == ["post_run_cell", "triton"]
    fake_kernel[0][1](None)   # what IPython calls after a cell: returns memory, changes nothing else


def test_no_hook_outside_a_kernel(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    monkeypatch.setattr(_memory, "_HOOKED", [])
    assert not _memory.release_after_cells()


def test_no_hook_without_glibc(fake_kernel, monkeypatch):
    monkeypatch.setattr(_memory, "_libc_trim", lambda: None)   # macOS, Windows, musl
    assert not _memory.release_after_cells() and not fake_kernel


def _in_fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter (it changes ``sys.modules``) and return what it prints."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_triton_kept_out_without_a_gpu_and_training_still_works():
    out = _in_fresh_python("""
import torch
torch.cuda.is_available = lambda: False   # as on the students' laptops and the class server
from course_utils import _memory
print(_memory.skip_triton_without_gpu(), _memory.skip_triton_without_gpu())
try:
    import triton
    print("imported")
except ImportError:
    print("absent")
from torch.utils._triton import has_triton_package
model = torch.nn.Linear(3, 1)
opt = torch.optim.Adam(model.parameters(), fused=True)   # what imports torch._dynamo
model(torch.ones(2, 3)).sum().backward()
opt.step()
print(has_triton_package(), "torch._dynamo" in __import__("sys").modules)
""")
    assert out.splitlines() == ["True True", "absent", "False True"]


def test_triton_left_alone_with_a_gpu():
    out = _in_fresh_python("""
import sys, torch
torch.cuda.is_available = lambda: True
from course_utils import _memory
print(_memory.skip_triton_without_gpu(), sys.modules.get("triton", "unset") is None)
""")
    assert out == "False False"
