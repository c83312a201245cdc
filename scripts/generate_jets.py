"""Generate the jets of notebook 08 and assignment a4 with Pythia 8 and FastJet, once, offline.

Usage: python scripts/generate_jets.py [--out data/jets] [--workers 2] [--scale 1.0]

Three processes at 14 TeV, no multi-parton interactions or pile-up, close to the top-tagging
reference data set (Kasieczka et al. 2019, arXiv:1902.09914): anti-kt R = 0.8 jets with
550 < pT < 650 GeV and |eta| < 2, from

- ``qcd``: QCD dijets (HardQCD:all), the null class ("background");
- ``top``: hadronic top quarks from ttbar (W forced to quarks), jets matched to a top quark whose
  three decay quarks lie inside the jet;
- ``wprime``: a W' of 1200 GeV decaying to W Z, both to quarks; jets matched to the W or the Z
  and its two quarks (the assignment's signal; the notebook never shows it).

Each process is generated in chunks of CHUNK jets, each chunk a Pythia instance with its own seed
(base seed + chunk number), so the files do not depend on the number of workers. For every jet the
file keeps its leading MAX_CONSTITUENTS constituents as (pT, eta - eta_jet, phi - phi_jet),
zero-padded, and the jet's (pT, eta, phi, mass). Every setting and seed is stored with the data.
Files are written atomically (temporary name, then rename); a complete file is never redone.
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

ROOT = Path(__file__).resolve().parent.parent
MAX_CONSTITUENTS = 100
CHUNK = 500
JET = dict(R=0.8, pt_min=550.0, pt_max=650.0, abs_eta_max=2.0)
COMMON = ["Beams:eCM = 14000.", "PartonLevel:MPI = off", "PhaseSpace:pTHatMin = 500.",
          "PhaseSpace:pTHatMax = 700.", "Next:numberCount = 0", "Next:numberShowEvent = 0",
          "Next:numberShowInfo = 0", "Next:numberShowProcess = 0", "Init:showProcesses = off",
          "Init:showChangedSettings = off", "Init:showChangedParticleData = off",
          "Print:quiet = on", "Random:setSeed = on"]
W_TO_QUARKS = ["24:onMode = off", "24:onIfAny = 1 2 3 4 5"]
PROCESSES = {
    "qcd": dict(jets=18_000, seed=1000, settings=["HardQCD:all = on"], match=None),
    "top": dict(jets=7_000, seed=2000, match=6,
                settings=["Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *W_TO_QUARKS]),
    "wprime": dict(jets=4_000, seed=3000, match=(23, 24),
                   settings=["NewGaugeBoson:ffbar2Wprime = on", "34:m0 = 1200.",
                             "Wprime:coup2WZ = 1.", "34:onMode = off", "34:onIfAll = 23 24", *W_TO_QUARKS,
                             "23:onMode = off", "23:onIfAny = 1 2 3 4 5"]),
}


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


def _matched(event, jet, match) -> bool:
    """Is the jet a resonance jet: within R of a top (or W/Z) whose decay quarks are all inside?"""
    ids = (match,) if isinstance(match, int) else match
    for i in range(event.size()):
        p = event[i]
        if abs(p.id()) in ids and p.iBotCopy() == i:
            if _delta_r(jet.eta(), jet.phi_std(), p.eta(), p.phi()) > JET["R"]:
                continue
            quarks = _final_quarks(event, i)
            need = 3 if 6 in ids else 2
            if len(quarks) == need and all(_delta_r(jet.eta(), jet.phi_std(), q.eta(), q.phi())
                                           < JET["R"] for q in quarks):
                return True
    return False


def _quiet_fastjet() -> None:
    """FastJet prints its banner to standard output at the first clustering of each process;
    cluster one particle with that output sent to /dev/null, so a progress bar stays readable."""
    import fastjet

    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        fastjet.ClusterSequence([fastjet.PseudoJet(1.0, 0.0, 0.0, 1.0)],
                                fastjet.JetDefinition(fastjet.antikt_algorithm, JET["R"]))
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def generate_chunk(task: tuple[str, int, int]) -> dict[str, np.ndarray]:
    """``n`` selected jets of one process from one Pythia instance seeded with ``seed``."""
    import fastjet
    import pythia8mc

    _quiet_fastjet()

    name, seed, n = task
    spec = PROCESSES[name]
    pythia = pythia8mc.Pythia(xmldoc(), False)
    for line in [*COMMON, f"Random:seed = {seed}", *spec["settings"]]:
        if not pythia.readString(line):
            raise ValueError(f"Pythia rejected the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise the {name} process")
    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, JET["R"])
    constituents = np.zeros((n, MAX_CONSTITUENTS, 3), dtype=np.float32)
    jets = np.zeros((n, 4), dtype=np.float32)
    count = events = 0
    while count < n:
        if not pythia.next():
            continue
        events += 1
        event = pythia.event
        particles = [fastjet.PseudoJet(p.px(), p.py(), p.pz(), p.e())
                     for p in event if p.isFinal() and p.isVisible()]
        sequence = fastjet.ClusterSequence(particles, definition)
        for jet in sequence.inclusive_jets(JET["pt_min"]):
            if count == n or not (jet.pt() < JET["pt_max"] and abs(jet.eta()) < JET["abs_eta_max"]):
                continue
            if spec["match"] is not None and not _matched(event, jet, spec["match"]):
                continue
            parts = sorted(jet.constituents(), key=lambda c: -c.pt())[:MAX_CONSTITUENTS]
            for k, c in enumerate(parts):
                dphi = (c.phi_std() - jet.phi_std() + math.pi) % (2 * math.pi) - math.pi
                constituents[count, k] = (c.pt(), c.eta() - jet.eta(), dphi)
            jets[count] = (jet.pt(), jet.eta(), jet.phi_std(), jet.m())
            count += 1
    return dict(constituents=constituents, jets=jets, events=np.array(events))


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
    meta = dict(process=name, settings=[*COMMON, *spec["settings"]], seeds=[t[1] for t in tasks],
                chunk_jets=[t[2] for t in tasks], jet=JET, max_constituents=MAX_CONSTITUENTS,
                match=spec["match"], events=int(sum(c["events"] for c in chunks)),
                seconds=round(time.time() - start_time, 1), workers=workers,
                generator=f"pythia8mc {_version('pythia8mc')}, fastjet {_version('fastjet')}")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{name}.{os.getpid()}.npz"
    np.savez_compressed(tmp, constituents=np.concatenate([c["constituents"] for c in chunks]),
                        jets=np.concatenate([c["jets"] for c in chunks]),
                        meta=np.array(json.dumps(meta)))
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
