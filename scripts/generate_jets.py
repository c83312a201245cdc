"""Generate the jets of notebook 08 and assignment a4 with Pythia 8 and FastJet, once, offline.

Usage: python scripts/generate_jets.py [--out data/jets] [--workers 2] [--scale 1.0]

Three processes at 14 TeV (Monash tune, Tune:pp = 14), no multi-parton interactions or pile-up,
close to the top-tagging reference data set (Kasieczka et al. 2019, arXiv:1902.09914): of the two
leading anti-kt R = 0.8 jets of each event, those with 550 < pT < 650 GeV and |eta| < 2, from

- ``qcd``: QCD dijets (HardQCD:all, 400 < pTHat < 700 GeV), the null class ("background");
- ``top``: hadronic top quarks from ttbar (W forced to quarks, which real tops do only about
  two-thirds of the time), jets matched to a top quark whose three decay quarks lie inside the jet;
- ``wprime``: a toy W' of 1200 GeV (excluded by the LHC) decaying to W Z, both to quarks; jets
  matched to the W or the Z and its two quarks (a4's signal; the notebook never shows it). The
  pTHat cuts do nothing for this 2 -> 1 process: the bosons' pT is p* sin(theta*), and only the
  jets that land in the pT window are kept.

The settings live in ``course_utils.jets.GENERATION``, which ``jets.load`` checks each file
against. Each process is generated in chunks of CHUNK jets, each chunk a Pythia instance with its
own seed (base seed + chunk number), so the files do not depend on the number of workers. For
every jet the file keeps its leading constituents as (pT, y - y_jet, phi - phi_jet) (rapidity, as
FastJet measures distances), zero-padded; the jet's pT, rapidity, eta, phi and mass; its number of
constituents; its N-subjettiness tau_1..3 (``jets.nsubjettiness`` on all its constituents); and
its event number. Every setting, seed, version and the time taken (wall and CPU) is stored in
the file's ``meta``.
Files are written atomically (temporary name, then rename); a complete file is never redone.

The clustering runs inside Pythia: its ``SlowJet`` with anti-kt, the visible final-state particles
and their masses, through the copy of FastJet's core (fjcore) that Pythia ships. That gives
FastJet's anti-kt jets, made of the same particles (tests/test_jets.py compares the two on
generated events; regenerated this way, the three files kept every jet, table entry and tau, and
4 of their 5.4 million constituent offsets moved by one float32 rounding step), without handing
every particle to Python, which took more than half the time of a run (474 s, now 196 s, on two
cores).
FastJet itself (the ``fastjet`` package) finds the N-subjettiness axes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils import jets as course_jets  # noqa: E402  (the settings and N-subjettiness)

CHUNK = 500
JET = course_jets.GENERATION["jet"]
MAX_CONSTITUENTS = course_jets.GENERATION["max_constituents"]
PROCESSES = course_jets.GENERATION["processes"]
QUIET = ["Next:numberCount = 0", "Next:numberShowEvent = 0", "Next:numberShowInfo = 0",
         "Next:numberShowProcess = 0", "Init:showProcesses = off", "Init:showChangedSettings = off",
         "Init:showChangedParticleData = off", "Print:quiet = on", "Random:setSeed = on"]
EVENT_STRIDE = 10_000_000              # event number = seed * EVENT_STRIDE + event in its chunk


def xmldoc() -> str:
    """Pythia's settings folder, installed by the pythia8mc wheel under the environment's prefix."""
    path = Path(os.environ.get("PYTHIA8DATA") or Path(sys.prefix) / "share" / "Pythia8" / "xmldoc")
    if not (path / "Index.xml").is_file():
        raise FileNotFoundError(f"Pythia's settings folder is missing at {path}: install pythia8mc "
                                "(make setup) or set PYTHIA8DATA")
    return str(path)


def _delta_r(eta1, phi1, eta2, phi2) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


def _final_quarks(event, i: int) -> list:
    """The quarks a resonance (top, W, Z) decays to, following W's from a top down to quarks."""
    out = []
    for d in event[event[i].iBotCopy()].daughterList():
        particle = event[event[d].iBotCopy()]
        if abs(particle.id()) == 24:
            out += _final_quarks(event, d)
        elif 1 <= abs(particle.id()) <= 5:
            out.append(particle)
    return out


def _matched(event, eta: float, phi: float, match) -> bool:
    """Is the jet at (eta, phi) a resonance jet: within R of a top (or W/Z) whose decay quarks
    are all inside?"""
    ids = tuple(match)
    for i in range(event.size()):
        p = event[i]
        if abs(p.id()) in ids and p.iBotCopy() == i:
            if _delta_r(eta, phi, p.eta(), p.phi()) > JET["R"]:
                continue
            quarks = _final_quarks(event, i)
            need = 3 if 6 in ids else 2
            if len(quarks) == need and all(_delta_r(eta, phi, q.eta(), q.phi()) < JET["R"]
                                           for q in quarks):
                return True
    return False


def anti_kt():
    """Pythia's SlowJet as FastJet's anti-kt: power -1, radius R, no pT or |eta| cut on the jets
    here (the window is applied after), the visible final-state particles (select 2) with their
    masses (massSet 2), clustered by fjcore."""
    import pythia8mc

    return pythia8mc.SlowJet(-1, JET["R"], 0.0, 25.0, 2, 2, None, True)


def _quiet_first_clustering(slow, event) -> None:
    """fjcore prints FastJet's banner to standard output at the first clustering, from C++: the
    first event is clustered with that output sent to /dev/null, so a progress bar stays readable."""
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        slow.analyze(event)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def generate_chunk(task: tuple[str, int, int]) -> dict[str, np.ndarray]:
    """``n`` selected jets of one process from one Pythia instance seeded with ``seed``: among the
    two leading anti-kt jets of each event, those in the pT and |eta| window (and, for a signal,
    matched to the resonance), each with its event number."""
    import pythia8mc

    cpu_start = time.process_time()
    name, seed, n = task
    spec = PROCESSES[name]
    pythia = pythia8mc.Pythia(xmldoc(), False)
    for line in [*QUIET, f"Random:seed = {seed}", *spec["settings"]]:
        if not pythia.readString(line):
            raise ValueError(f"Pythia rejected the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise the {name} process")
    slow = anti_kt()
    constituents = np.zeros((n, MAX_CONSTITUENTS, 3), dtype=np.float32)
    table = np.zeros((n, 5), dtype=np.float32)                  # pt, rapidity, eta, phi, mass
    multiplicity, event_number = np.zeros(n, dtype=np.int16), np.zeros(n, dtype=np.int64)
    tau = np.zeros((n, course_jets.GENERATION["nsubjettiness"]["n_max"]), dtype=np.float32)
    count = events = 0
    while count < n:
        if not pythia.next():
            continue
        events += 1
        event = pythia.event
        if events == 1:
            _quiet_first_clustering(slow, event)
        else:
            slow.analyze(event)                                  # jets sorted by pT, largest first
        for j in range(min(JET["leading"], slow.sizeJet())):
            p, y, phi = slow.p(j), slow.y(j), slow.phi(j)
            if count == n or not (JET["pt_min"] < p.pT() < JET["pt_max"]
                                  and abs(p.eta()) < JET["abs_eta_max"]):
                continue
            if spec["match"] is not None and not _matched(event, p.eta(), phi, spec["match"]):
                continue
            parts = sorted((event[i] for i in slow.constituents(j)), key=lambda c: -c.pT())
            rows = np.array([(c.pT(), c.y() - y, (c.phi() - phi + math.pi) % (2 * math.pi) - math.pi)
                             for c in parts])
            constituents[count, :min(len(rows), MAX_CONSTITUENTS)] = rows[:MAX_CONSTITUENTS]
            tau[count] = course_jets.nsubjettiness(torch.from_numpy(rows[None]))[0].numpy()
            table[count] = (p.pT(), y, p.eta(), phi, p.mCalc())
            multiplicity[count] = len(rows)
            event_number[count] = seed * EVENT_STRIDE + events
            count += 1
    return dict(constituents=constituents, table=table, n_constituents=multiplicity, tau=tau,
                event=event_number, events=np.array(events),
                cpu_seconds=np.array(time.process_time() - cpu_start))


def generate(name: str, out: Path, workers: int, scale: float = 1.0) -> Path:
    """Write ``out/<name>.npz`` (atomically) unless it is there already; returns its path."""
    from tqdm.auto import tqdm

    path = out / f"{name}.npz"
    if path.is_file():
        return path
    spec = PROCESSES[name]
    total = max(1, round(spec["jets"] * scale))
    tasks = [(name, spec["seed"] + i, min(CHUNK, total - start))
             for i, start in enumerate(range(0, total, CHUNK))]
    start_time = time.time()
    with Pool(workers) as pool:
        chunks = list(tqdm(pool.imap(generate_chunk, tasks), total=len(tasks),
                           desc=f"{name} jets ({total})", unit="chunk"))
    meta = dict(format=course_jets.FORMAT, process=name, settings=spec["settings"],
                quiet_settings=QUIET, seeds=[t[1] for t in tasks], chunk_jets=[t[2] for t in tasks],
                jet=JET, max_constituents=MAX_CONSTITUENTS, match=spec["match"],
                nsubjettiness=course_jets.GENERATION["nsubjettiness"],
                events=int(sum(c["events"] for c in chunks)),
                seconds=round(time.time() - start_time, 1), workers=workers,
                cpu_seconds=round(float(sum(c["cpu_seconds"] for c in chunks)), 1),
                generator=f"pythia8mc {_version('pythia8mc')} (SlowJet anti-kt, fjcore), "
                          f"fastjet {_version('fastjet')} (N-subjettiness axes)")
    table = np.concatenate([c["table"] for c in chunks])
    arrays = {k: np.concatenate([c[k] for c in chunks])
              for k in ("constituents", "n_constituents", "tau", "event")}
    arrays.update({k: table[:, i] for i, k in enumerate(("pt", "rapidity", "eta", "phi", "mass"))})
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{name}.{os.getpid()}.npz"
    np.savez_compressed(tmp, **arrays, meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)
    return path


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("COURSE_DATA_DIR") or
                                                         ROOT / "data") / "jets")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the jets (tests)")
    parser.add_argument("processes", nargs="*", default=list(PROCESSES))
    args = parser.parse_args(argv)
    for name in args.processes:
        if name not in PROCESSES:
            parser.error(f"unknown process {name!r}; choose from {', '.join(PROCESSES)}")
        started = time.time()
        path = generate(name, args.out, args.workers, args.scale)
        print(f"{name}: {path} ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
