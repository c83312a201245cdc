"""Generate the jets of notebook 08 and assignment a4 with Pythia 8 and FastJet, once, offline.

Usage: python scripts/generate_jets.py [--out data/jets] [--workers 2] [--scale 1.0]

Notebook 08's jets: two processes at 14 TeV (Monash tune, Tune:pp = 14), no multi-parton
interactions or pile-up, close to the top-tagging reference data set (Kasieczka et al. 2019,
arXiv:1902.09914): of the two leading anti-kt R = 0.8 jets of each event, those with
550 < pT < 650 GeV and |eta| < 2, from

- ``qcd``: QCD dijets (HardQCD:all, 400 < pTHat < 700 GeV), the null class ("background");
- ``top``: hadronic top quarks from ttbar (W forced to quarks, which real tops do only about
  two-thirds of the time), jets matched to a top quark whose three decay quarks lie inside the jet;

Assignment a4's dijet events (``course_utils.jets.DIJET`` and ``DIJET_SAMPLES``): both leading
jets of every event that passes the dijet selection, with the dijet mass, for QCD (``dijet_qcd``)
and a toy W' of 1200 GeV decaying to W Z, both to quarks (``dijet_wprime``; excluded by the LHC);
and the black box (``blackbox``, ``generate_blackbox``), made from a seed.

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


def _clustered(pythia, slow):
    """Pythia's events, each clustered by ``slow`` (its jets sorted by pT, largest first), with the
    number of events generated so far; without end (the caller stops)."""
    events = 0
    while True:
        if not pythia.next():
            continue
        events += 1
        if events == 1:
            _quiet_first_clustering(slow, pythia.event)
        else:
            slow.analyze(pythia.event)
        yield events, pythia.event


def _record(event, slow, j: int, constituents: np.ndarray, table: np.ndarray,
            tau: np.ndarray) -> None:
    """Jet ``j`` of ``slow`` into the given rows: its leading constituents as (pT, y - y_jet,
    phi - phi_jet), (pT, rapidity, eta, phi, mass), and its N-subjettiness (all constituents)."""
    p, y, phi = slow.p(j), slow.y(j), slow.phi(j)
    parts = sorted((event[i] for i in slow.constituents(j)), key=lambda c: -c.pT())
    rows = np.array([(c.pT(), c.y() - y, (c.phi() - phi + math.pi) % (2 * math.pi) - math.pi)
                     for c in parts])
    constituents[:min(len(rows), MAX_CONSTITUENTS)] = rows[:MAX_CONSTITUENTS]
    tau[:] = course_jets.nsubjettiness(torch.from_numpy(rows[None]))[0].numpy()
    table[:] = (p.pT(), y, p.eta(), phi, p.mCalc())


def _pythia(settings: list[str], seed: int):
    import pythia8mc

    pythia = pythia8mc.Pythia(xmldoc(), False)
    for line in [*QUIET, f"Random:seed = {seed}", *settings]:
        if not pythia.readString(line):
            raise ValueError(f"Pythia rejected the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise ({settings[-1]!r})")
    return pythia


def generate_chunk(task: tuple[str, int, int]) -> dict[str, np.ndarray]:
    """``n`` selected jets of one process from one Pythia instance seeded with ``seed``: among the
    two leading anti-kt jets of each event, those in the pT and |eta| window (and, for a signal,
    matched to the resonance), each with its event number."""
    cpu_start = time.process_time()
    name, seed, n = task
    spec = PROCESSES[name]
    pythia = _pythia(spec["settings"], seed)
    slow = anti_kt()
    constituents = np.zeros((n, MAX_CONSTITUENTS, 3), dtype=np.float32)
    table = np.zeros((n, 5), dtype=np.float32)                  # pt, rapidity, eta, phi, mass
    multiplicity, event_number = np.zeros(n, dtype=np.int16), np.zeros(n, dtype=np.int64)
    tau = np.zeros((n, course_jets.GENERATION["nsubjettiness"]["n_max"]), dtype=np.float32)
    count = events = 0
    for events, event in _clustered(pythia, slow):
        for j in range(min(JET["leading"], slow.sizeJet())):
            p, phi = slow.p(j), slow.phi(j)
            if count == n or not (JET["pt_min"] < p.pT() < JET["pt_max"]
                                  and abs(p.eta()) < JET["abs_eta_max"]):
                continue
            if spec["match"] is not None and not _matched(event, p.eta(), phi, spec["match"]):
                continue
            _record(event, slow, j, constituents[count], table[count], tau[count])
            multiplicity[count] = len(slow.constituents(j))
            event_number[count] = seed * EVENT_STRIDE + events
            count += 1
        if count == n:
            break
    return dict(constituents=constituents, table=table, n_constituents=multiplicity, tau=tau,
                event=event_number, events=np.array(events),
                cpu_seconds=np.array(time.process_time() - cpu_start))


def generate_event_chunk(task: tuple[list[str], int, int]) -> dict[str, np.ndarray]:
    """``n`` dijet events from one Pythia instance seeded with ``seed``: events whose two
    leading anti-kt jets pass ``jets.DIJET`` (both pT > pt_min, |eta| < abs_eta_max,
    |y1 - y2| < abs_dy_max, m_JJ > mjj_min), both jets kept with the dijet mass and the event number."""
    cpu_start = time.process_time()
    settings, seed, n = task
    pythia = _pythia(settings, seed)
    slow = anti_kt()
    cut = course_jets.DIJET
    constituents = np.zeros((n, 2, MAX_CONSTITUENTS, 3), dtype=np.float32)
    table = np.zeros((n, 2, 5), dtype=np.float32)
    tau = np.zeros((n, 2, course_jets.GENERATION["nsubjettiness"]["n_max"]), dtype=np.float32)
    multiplicity = np.zeros((n, 2), dtype=np.int16)
    mjj, event_number = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.int64)
    count = events = 0
    for events, event in _clustered(pythia, slow):
        if slow.sizeJet() < 2:
            continue
        p1, p2 = slow.p(0), slow.p(1)
        if not (p2.pT() > cut["pt_min"] and max(abs(p1.eta()), abs(p2.eta())) < cut["abs_eta_max"]
                and abs(slow.y(0) - slow.y(1)) < cut["abs_dy_max"]
                and (p1 + p2).mCalc() > cut["mjj_min"]):
            continue
        for k in (0, 1):
            _record(event, slow, k, constituents[count, k], table[count, k], tau[count, k])
            multiplicity[count, k] = len(slow.constituents(k))
        mjj[count] = (p1 + p2).mCalc()
        event_number[count] = seed * EVENT_STRIDE + events
        count += 1
        if count == n:
            break
    return dict(constituents=constituents, table=table, n_constituents=multiplicity, tau=tau,
                mjj=mjj, event=event_number, events=np.array(events),
                cpu_seconds=np.array(time.process_time() - cpu_start))


def _event_arrays(chunks: list[dict]) -> dict[str, np.ndarray]:
    table = np.concatenate([c["table"] for c in chunks])
    arrays = {k: np.concatenate([c[k] for c in chunks])
              for k in ("constituents", "n_constituents", "tau", "mjj", "event")}
    arrays.update({k: table[..., i] for i, k in enumerate(("pt", "rapidity", "eta", "phi", "mass"))})
    return arrays


def _save(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.stem}.{os.getpid()}.npz"
    np.savez_compressed(tmp, **arrays, meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)
    return path


def _run(tasks: list, function, workers: int, desc: str) -> list[dict]:
    from tqdm.auto import tqdm

    with Pool(workers) as pool:
        return list(tqdm(pool.imap(function, tasks), total=len(tasks), desc=desc, unit="chunk"))


def _common_meta(chunks: list[dict], start_time: float, workers: int) -> dict:
    return dict(format=course_jets.FORMAT, max_constituents=MAX_CONSTITUENTS,
                nsubjettiness=course_jets.GENERATION["nsubjettiness"],
                events_generated=int(sum(c["events"] for c in chunks)),
                seconds=round(time.time() - start_time, 1), workers=workers,
                cpu_seconds=round(float(sum(c["cpu_seconds"] for c in chunks)), 1),
                generator=f"pythia8mc {_version('pythia8mc')} (SlowJet anti-kt, fjcore), "
                          f"fastjet {_version('fastjet')} (N-subjettiness axes)")


def _event_tasks(settings: list[str], seed: int, total: int) -> list[tuple]:
    return [(settings, seed + i, min(CHUNK, total - start))
            for i, start in enumerate(range(0, total, CHUNK))]


def generate_dijets(name: str, out: Path, workers: int, scale: float = 1.0) -> Path:
    """Write ``out/<name>.npz`` for a dijet sample of ``jets.DIJET_SAMPLES`` unless it is there."""
    path = out / f"{name}.npz"
    if path.is_file():
        return path
    spec = course_jets.DIJET_SAMPLES[name]
    tasks = _event_tasks(spec["settings"], spec["seed"], max(1, round(spec["events"] * scale)))
    start_time = time.time()
    chunks = _run(tasks, generate_event_chunk, workers, f"{name} events ({sum(t[2] for t in tasks)})")
    meta = dict(_common_meta(chunks, start_time, workers), sample=name, settings=spec["settings"],
                quiet_settings=QUIET, seeds=[t[1] for t in tasks], chunk_events=[t[2] for t in tasks],
                dijet=course_jets.DIJET)
    return _save(path, _event_arrays(chunks), meta)


def _n_signal(out: Path, truth: dict, events: int) -> int:
    """W' events for the truth's strength: ``strength`` x sqrt(QCD events in the window), the QCD
    count from the simulated QCD dijets (scaled to ``events``), divided by the share of W' events
    in the window, from the simulated W' of 1200 GeV with its m_JJ scaled to the mass."""
    with np.load(out / "dijet_qcd.npz") as f:
        qcd = f["mjj"]
    with np.load(out / "dijet_wprime.npz") as f:
        inside = float((np.abs(f["mjj"] * truth["mass"] / 1200 - truth["mass"]) < 100).mean())
    window = ((qcd > truth["mass"] - 100) & (qcd < truth["mass"] + 100)).sum() * events / len(qcd)
    return max(1, round(truth["strength"] * math.sqrt(window) / inside))


def generate_blackbox(out: Path, workers: int, seed: int, scale: float = 1.0) -> Path:
    """a4's black box: fresh QCD dijet events with the W' events ``jets.blackbox_truth(seed)``
    names mixed in, shuffled and renumbered, in ``out/blackbox.npz`` (whose meta says nothing
    of the signal: no seeds, settings or CPU time); the truth in ``out/blackbox-truth.json``,
    readable by its owner only. Needs the simulated dijet samples in ``out`` (the W' yield is set
    from them). Always made anew (a new seed means a new black box)."""
    truth = course_jets.blackbox_truth(seed)
    events = max(1, round(truth["events"] * scale))
    n_signal = min(_n_signal(out, truth, events), events - 1) if truth["signal"] else 0
    n_background = events - n_signal
    base = 100_000 + 1000 * (seed % 100_000)              # seeds of their own, apart from the samples'
    tasks = _event_tasks(course_jets.DIJET_SAMPLES["dijet_qcd"]["settings"], base, n_background)
    if n_signal:
        tasks += _event_tasks(course_jets.wprime_settings(truth["mass"]), base + 500, n_signal)
    start_time = time.time()
    chunks = _run(tasks, generate_event_chunk, workers, "black box events")
    arrays = _event_arrays(chunks)
    order = np.random.default_rng([seed, 1]).permutation(len(arrays["mjj"]))
    arrays = {k: v[order] for k, v in arrays.items()}
    arrays["event"] = np.arange(len(order), dtype=np.int64)
    meta = dict(_common_meta(chunks, start_time, workers), sample=course_jets.BLACKBOX,
                dijet=course_jets.DIJET)
    for leak in ("events_generated", "cpu_seconds"):                # would tell the W' events apart
        meta.pop(leak)
    path = _save(out / f"{course_jets.BLACKBOX}.npz", arrays, meta)
    truth_path = out / f"{course_jets.BLACKBOX}-truth.json"
    tmp = out / f".{truth_path.name}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(dict(truth, events=len(order), n_background=n_background, n_signal=n_signal), f)
    os.replace(tmp, truth_path)
    return path


def generate(name: str, out: Path, workers: int, scale: float = 1.0) -> Path:
    """Write ``out/<name>.npz`` (atomically) unless it is there already; returns its path."""
    path = out / f"{name}.npz"
    if path.is_file():
        return path
    spec = PROCESSES[name]
    total = max(1, round(spec["jets"] * scale))
    tasks = [(name, spec["seed"] + i, min(CHUNK, total - start))
             for i, start in enumerate(range(0, total, CHUNK))]
    start_time = time.time()
    chunks = _run(tasks, generate_chunk, workers, f"{name} jets ({total})")
    meta = _common_meta(chunks, start_time, workers)
    meta.update(process=name, settings=spec["settings"], quiet_settings=QUIET,
                seeds=[t[1] for t in tasks], chunk_jets=[t[2] for t in tasks], jet=JET,
                match=spec["match"], events=meta.pop("events_generated"))
    table = np.concatenate([c["table"] for c in chunks])
    arrays = {k: np.concatenate([c[k] for c in chunks])
              for k in ("constituents", "n_constituents", "tau", "event")}
    arrays.update({k: table[:, i] for i, k in enumerate(("pt", "rapidity", "eta", "phi", "mass"))})
    return _save(path, arrays, meta)


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("COURSE_DATA_DIR") or
                                                         ROOT / "data") / "jets")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the jets (tests)")
    parser.add_argument("--seed", default=os.environ.get("BLACKBOX_SEED") or str(course_jets.BLACKBOX_DEFAULT_SEED),
                        help="the black box's seed: a number, or 'random' for a secret one (a class; "
                             "make blackbox); default $BLACKBOX_SEED, else the public self-study seed")
    everything = [*PROCESSES, *course_jets.DIJET_SAMPLES]
    parser.add_argument("processes", nargs="*", default=everything,
                        help=f"any of {', '.join(everything)}, {course_jets.BLACKBOX} "
                             "(default: all but the black box)")
    args = parser.parse_args(argv)
    for name in args.processes:
        if name not in (*everything, course_jets.BLACKBOX):
            parser.error(f"unknown sample {name!r}; choose from {', '.join(everything)}, "
                         f"{course_jets.BLACKBOX}")
        started = time.time()
        if name in PROCESSES:
            path = generate(name, args.out, args.workers, args.scale)
        elif name in course_jets.DIJET_SAMPLES:
            path = generate_dijets(name, args.out, args.workers, args.scale)
        else:
            if args.seed == "random":
                import secrets
                seed = secrets.randbits(63)                 # kept in the truth file, nowhere else
            elif args.seed.isdigit():
                seed = int(args.seed)
            else:
                parser.error(f"--seed must be a non-negative number or 'random', got {args.seed!r}")
            path = generate_blackbox(args.out, args.workers, seed, args.scale)
        print(f"{name}: {path} ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
