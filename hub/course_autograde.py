"""An nbgrader autograde step that flags code able to fool the checks (scripts/grade.py's config).

nbgrader runs the hidden tests in the student's own kernel, after the student's code, so code in
an answer can make any test pass: replace ``course_utils.checks.check_*`` or ``torch.equal``,
hand in an object whose ``==`` is always true, or rebind a name the checks read (``TARGET_MSE =
1.0``). No test inside that kernel can be trusted once such code has run, so this step looks at
the code itself, from the grading process, where the student's code never runs: each code cell
that is not, letter for letter, a cell of the released notebook is parsed (IPython syntax
included) and flagged when it

- assigns or deletes an attribute of anything but ``self`` (``torch.equal = ...``,
  ``checks.check_x = ...``), or writes into a name or module the assignment gives you
  (``x_test[:] = 0``, ``x_test.mul_(0)``);
- rebinds a name that a given cell defines and no exercise asks for (``TARGET_MSE``, ``checks``,
  ``torch``, ``x_test``);
- uses a double-underscore name other than ``__init__`` (``__eq__``, ``__code__``,
  ``__dict__``, ``__class__``, ``__torch_function__``...), or a private attribute (``torch._C``);
- calls what reaches around the code: ``setattr``, ``delattr``, ``globals``, ``vars``,
  ``locals``, ``exec``, ``eval``, ``compile``, ``open``, ``get_ipython`` (every ``%magic`` and
  ``!shell`` line), or loads pickles (``weights_only=False``, ``allow_pickle=True``);
- imports a module outside the assignment's libraries (``sys``, ``os``, ``builtins``, ``pickle``,
  ``unittest.mock``, ``torch.library``...).

The worked solutions need none of these. Every auto-graded cell from the first flagged cell on
gets an error output naming the cell, the line and the rule, so nbgrader gives it no points and
the formgrader shows a person why; the person can then grade it by hand.
"""

from __future__ import annotations

import ast
import os
import re

from nbformat import read
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

MODULES = {"torch", "numpy", "math", "statistics", "sklearn", "scipy", "matplotlib", "course_utils",
           "collections", "itertools", "functools", "random", "copy", "dataclasses", "typing", "tqdm"}
TORCH_OFF_LIMITS = ("torch.library", "torch.overrides", "torch.hub", "torch.package", "torch.utils._")
CALLS = {"setattr", "delattr", "globals", "vars", "locals", "exec", "eval", "compile", "open",
         "get_ipython", "breakpoint", "__import__"}
DUNDER = re.compile(r"^__\w+__$")
DUNDER_OK = {"__init__"}
DATASET_METHODS = {"__len__", "__getitem__", "__repr__", "__str__"}   # may be defined, not used


def _python(source: str) -> str:
    """The cell as the kernel runs it: IPython's %magics and !shell lines turned into Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def bound_names(source: str) -> set[str]:
    """Names a cell binds anywhere in it (assignments, imports, defs, loops, with ... as)."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _root(node: ast.AST) -> str | None:
    """The name at the bottom of ``a.b[c].d``, or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _in_place(call: ast.Call) -> bool:
    """A call of torch's in-place kind: x.mul_(0), torch.nn.init.zeros_(x)."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return name.endswith("_") and not name.startswith("_")


def findings(source: str, given: set[str]) -> list[str]:
    """Why the student's cell ``source`` could fool a check ("line N: ..."), [] if it cannot.

    ``given`` holds the names the assignment's own cells define that no exercise asks for."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []                     # it cannot run, so it cannot patch anything
    found = []

    def flag(node, why):
        found.append(f"line {getattr(node, 'lineno', '?')}: {why}")

    modules = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] not in MODULES or name.startswith(TORCH_OFF_LIMITS) or node_level(node):
                    flag(node, f"imports {name or '.'}, which the assignment does not use")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if f"{node.module}.{alias.name}".startswith(TORCH_OFF_LIMITS):
                        flag(node, f"imports {node.module}.{alias.name}, which the assignment does not use")
        elif isinstance(node, ast.Attribute):
            if isinstance(node.ctx, (ast.Store, ast.Del)) and _root(node) != "self":
                flag(node, f"assigns to the attribute {ast.unparse(node)} (only self.... is yours to set)")
            if DUNDER.match(node.attr) and node.attr not in DUNDER_OK:
                flag(node, f"uses {node.attr}")
            elif node.attr.startswith("_") and not DUNDER.match(node.attr):
                flag(node, f"uses the private attribute {ast.unparse(node)}")
            if ast.unparse(node).startswith(TORCH_OFF_LIMITS):
                flag(node, f"uses {ast.unparse(node)}, which the assignment does not use")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if _root(node) in given | modules:
                flag(node, f"writes into {ast.unparse(node)}, which the assignment gives you")
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, (ast.Store, ast.Del)) and node.id in given:
                flag(node, f"rebinds {node.id}, which the assignment gives you")
            if node.id in CALLS or (DUNDER.match(node.id) and node.id not in DUNDER_OK):
                flag(node, f"uses {node.id}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name in given:
                flag(node, f"rebinds {node.name}, which the assignment gives you")
            if DUNDER.match(node.name) and node.name not in DUNDER_OK | DATASET_METHODS:
                flag(node, f"defines {node.name}")
            if isinstance(node, ast.ClassDef) and any(k.arg == "metaclass" for k in node.keywords):
                flag(node, "sets a metaclass")
        elif isinstance(node, ast.alias) and node.asname in given:
            flag(node, f"rebinds {node.asname}, which the assignment gives you")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DUNDER.match(node.value) \
                and node.value not in DUNDER_OK:
            flag(node, f"names {node.value}")
        elif isinstance(node, ast.Call) and _in_place(node) and (
                _root(node.func) in given or any(_root(a) in given for a in node.args)):
            flag(node, f"changes what the assignment gives you in place: {ast.unparse(node)[:60]}")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            flag(node, "uses global/nonlocal")
        elif isinstance(node, ast.keyword):
            if node.arg == "weights_only" and not (isinstance(node.value, ast.Constant) and node.value.value is True):
                flag(node, "loads a pickle (weights_only not True)")
            if node.arg == "allow_pickle":
                flag(node, "loads a pickle (allow_pickle)")
    # One finding per line and rule is enough for a person to look.
    return list(dict.fromkeys(found))


def node_level(node: ast.AST) -> int:
    """How many dots lead a relative import (from . import x): none is allowed."""
    return getattr(node, "level", 0) or 0


def read_names(source: str) -> set[str]:
    """Names a cell reads without binding them itself (roughly: its free names)."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return set()
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loads - bound_names(source)


def given_names(source) -> set[str]:
    """The names the assignment's own cells define and read, and no exercise asks for: what the
    checks and the cells feeding them rely on (``checks``, ``torch``, ``x_test``, ``TARGET_MSE``),
    not a loop variable or ``fig`` (notebook ``source``: the instructor's, with solutions)."""
    defined, read_, asked = set(), set(), set()
    for cell in source.cells:
        if cell.cell_type == "code":
            if is_solution(cell):
                asked |= bound_names(cell.source)
            else:
                defined |= bound_names(cell.source)
                read_ |= read_names(cell.source)
    return (defined & read_) - asked


class FlagPatching(NbGraderPreprocessor):
    """Zero and flag every auto-graded cell from the first student cell that could fool a check."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        notebooks = [read(os.path.join(coursedir.format_path(folder, ".", info["assignment"]),
                                       f"{info['notebook']}.ipynb"), as_version=4)
                     for folder in (coursedir.source_directory, coursedir.release_directory)]
        given = given_names(notebooks[0])
        # The assignment's own cells, as released and as nbgrader restores them (hidden tests in).
        theirs = {cell.source for nb_ in notebooks for cell in nb_.cells
                  if cell.cell_type == "code" and not is_solution(cell)}
        first, reasons = None, []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or cell.source in theirs:
                continue
            reasons = findings(cell.source, given)
            if reasons:
                first = index
                break
        if first is None:
            return nb, resources
        where = nb.cells[first].metadata.get("nbgrader", {}).get("grade_id") or f"cell {first + 1}"
        message = (f"Flagged for a person to look at: the code in {where} could change what the checks "
                   f"see ({'; '.join(reasons[:5])}), so no check from there on counts automatically.")
        self.log.warning("%s %s: %s", info["student"], info["notebook"], message)
        for cell in nb.cells[first:]:
            if cell.cell_type == "code" and is_grade(cell):
                cell.outputs.append(new_output("error", ename="FlaggedForReview", evalue=message,
                                               traceback=[message]))
        return nb, resources


class ForgetUnknownGradeIds(NbGraderPreprocessor):
    """Turn a cell whose grade id the gradebook does not know into a plain cell of the student's.

    A student who renames a check cell's grade id (or makes one up) leaves nbgrader with a grade
    cell without an id, and nbgrader then refuses the whole submission ("the nbgrader metadata may
    be corrupted"). Without its nbgrader metadata the cell is just the student's code, and
    nbgrader's OverwriteCells.add_missing_cells puts the real check cell back."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            known = {c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if "nbgrader" in cell.metadata and grade_id not in known:
                self.log.warning("%s %s: cell %r is not in the assignment; treated as the student's "
                                 "own cell", info["student"], info["notebook"], grade_id)
                del cell.metadata["nbgrader"]
        return nb, resources
