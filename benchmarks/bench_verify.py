"""Benchmark of the model: the full default ``capifsec verify`` and the cost of bounded search.

Run as ``python benchmarks/bench_verify.py``; writes ``benchmarks/results/verify.json``.

1. The full default verification (every property on every profile), in a cold process as a user runs
   it, three times: wall time, CPU time and the peak memory of the whole process tree (the command
   and its worker processes; memory sampled from /proc); then once with no lemma at all
   (``--no-hints``: every invariant inferred), and the cells whose verdict differs between the two
   (none expected), and the length in steps of each counterexample. Targets: under 10 s on a 2-core
   machine, under 1 GiB, with and without lemmas.
   A baseline measured in the same run (a cold ``python -c "import z3"`` and a fixed Z3 workload)
   gives the machine's speed, so the figure can be compared across noisy, shared machines as a ratio.
2. The proofs per profile without lemmas, in one process: the seconds Houdini and inference take, the
   invariant's clauses, how many inference added, and for each property the clauses of its
   certificate before minimising (what the unsat cores brought in), after dropping the needless ones,
   and after making clauses stronger and merging them, once every property is decided, as
   ``capifsec verify`` does (target: under 30 clauses for every property of ``recommended``), with
   the seconds merging took and the load average at the start.
3. Bounded search as the deployment grows: the universe gets N elements of each of the sorts
   ccf (= providers, one designated CCF each), aef and invoker, N from 2 to 5; we time the shortest
   counterexample of ``sol13-psk`` / ``invoker-authentication`` (its depth, then its canonical trace)
   and the witness ``psk-interconnected`` of ``recommended`` (on the full deployment), and the
   unbounded proof of ``recommended`` / ``invoker-authentication``, which does not depend on N (shown
   flat). Bounded search unfolds every fact over the deployment, so its cost grows with N.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from model.catalogue import load_catalogue
from model.certificate import Certificate
from model.infer import Outcome
from model.runner import EXPECTED_COST
from model.syntax import Formula, Not
from model.verify import Bounds, ProfileVerifier

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "verify.json"
CAPIFSEC = [sys.executable, "-m", "capifsec"]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        found.append(current)
        frontier.extend(children.get(current, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cold(command: list[str]) -> tuple[float, int, int, float]:
    """Wall seconds, peak total RSS (KiB) of the process tree, exit status, CPU seconds of the tree."""
    cpu_before = _children_cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss_kib(pid) for pid in _descendants(process.pid)))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    return wall, peak, process.returncode, _children_cpu_seconds() - cpu_before


def z3_workload() -> float:
    """A fixed Z3 job (pigeonhole 9 into 8), the machine-speed yardstick."""
    code = (
        "import z3,time\n"
        "s=z3.Solver(); n=8\n"
        "x=[[z3.Bool(f'p{i}_{j}') for j in range(n)] for i in range(n+1)]\n"
        "[s.add(z3.Or(r)) for r in x]\n"
        "[s.add(z3.Not(z3.And(x[i][j],x[k][j]))) for j in range(n) for i in range(n+1) for k in range(i)]\n"
        "t=time.perf_counter(); s.check(); print(time.perf_counter()-t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def full_verification(rounds: int, extra: Sequence[str] = ()) -> dict[str, object]:
    """``capifsec verify`` (all profiles, 2 workers) cold, ``rounds`` times, with the same-run baselines;
    the verdicts of the last round per profile (from its ``--json``)."""
    walls, peaks, statuses, cpus, loads = [], [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.json"
        for _ in range(rounds):
            loads.append(os.getloadavg()[0])
            wall, peak, status, cpu = run_cold([*CAPIFSEC, "verify", *extra, "--json", str(results)])
            walls.append(wall)
            peaks.append(peak)
            statuses.append(status)
            cpus.append(cpu)
        cells = json.loads(results.read_text(encoding="utf-8"))["results"]
    import_z3 = [run_cold([sys.executable, "-c", "import z3"])[0] for _ in range(rounds)]
    yardstick = [z3_workload() for _ in range(rounds)]
    median = statistics.median(walls)
    verdicts: dict[str, dict[str, int]] = {}
    for cell in cells:
        counts = verdicts.setdefault(cell["profile"], {})
        counts[cell["verdict"]] = counts.get(cell["verdict"], 0) + 1
    certified = [len(c["invariant"]) for c in cells if c["verdict"] in ("proved", "no-witness")]
    return {
        "command": " ".join(["capifsec verify", *extra])
        + " (all profiles x all properties, 2 worker processes)",
        "rounds": rounds,
        "wall_seconds": [round(w, 2) for w in walls],
        "wall_seconds_median": round(median, 2),
        "cpu_seconds_of_process_tree": [round(c, 2) for c in cpus],
        "load_average_1min_before_rounds": [round(load, 1) for load in loads],
        "peak_tree_rss_mib": round(max(peaks) / 1024, 1),
        "exit_statuses": statuses,
        "verdicts_per_profile": verdicts,
        "verdict_of_each_cell": {f"{c['profile']}/{c['property']}": c["verdict"] for c in cells},
        "counterexample_steps": {
            f"{c['profile']}/{c['property']}": len(c["trace"]["steps"])
            for c in cells
            if c["verdict"] == "violated" and c.get("trace")
        },
        "proofs_with_a_checked_certificate": sum(1 for n in certified if n),
        "proofs": len(certified),
        "baseline_cold_import_z3_seconds": round(statistics.median(import_z3), 3),
        "baseline_z3_pigeonhole_seconds": round(statistics.median(yardstick), 3),
        "ratio_to_z3_pigeonhole": round(median / statistics.median(yardstick), 1),
        "target": "under 10 s wall on a 2-core machine, peak under 1 GiB",
    }


def proofs_per_profile() -> list[dict[str, object]]:
    """Houdini, inference and certificates per profile with no lemma, each profile on its own."""
    catalogue = load_catalogue(ROOT / "spec")
    rows: list[dict[str, object]] = []
    first = [p for p in EXPECTED_COST if p in catalogue.profiles]
    for profile in first + [p for p in catalogue.profiles if p not in first]:
        verifier = ProfileVerifier(catalogue, profile, hints=False)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        proofs = verifier.proofs()
        houdini_seconds = time.perf_counter() - start
        certificates: dict[str, int | None] = {}
        unminimised: dict[str, int] = {}
        dropped: dict[str, int] = {}
        found: dict[str, tuple[Certificate, Formula]] = {}
        start = time.perf_counter()
        for property_id, prop in catalogue.properties.items():
            goal = verifier.system.expand(prop.formula)
            if not proofs.implied(goal):
                for _, queries in verifier.turns:
                    if proofs.strengthen(goal, queries) != Outcome.PAUSED:
                        break
            certificate = proofs.certificate(property_id, goal) if proofs.implied(goal) else None
            certificates[property_id] = None
            if certificate is not None:
                unminimised[property_id] = certificate.unminimised
                dropped[property_id] = len(certificate.clauses)
                found[property_id] = certificate, goal
        inference_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for property_id, (certificate, goal) in found.items():
            certificates[property_id] = len(proofs.merged(certificate, goal).clauses)
        rows.append(
            {
                "profile": profile,
                "load_average_1min_at_start": round(load, 1),
                "houdini_seconds": round(houdini_seconds, 2),
                "inference_and_certificates_seconds": round(inference_seconds, 2),
                "merging_seconds": round(time.perf_counter() - start, 2),
                "invariant_clauses": len(proofs.clauses),
                "inferred_clauses": len(proofs.inferred),
                "certificate_clauses_before_minimising": unminimised,
                "certificate_clauses_after_dropping": dropped,
                "certificate_clauses": certificates,
            }
        )
        print(rows[-1], flush=True)
    return rows


def scaling(sizes: range) -> list[dict[str, object]]:
    catalogue = load_catalogue(ROOT / "spec")
    proof_verifier = ProfileVerifier(catalogue, "recommended")
    start = time.perf_counter()
    invariant = proof_verifier.invariant()
    proof_seconds = time.perf_counter() - start
    rows: list[dict[str, object]] = []
    for n in sizes:
        bounds = Bounds(universe={"ccf": n, "aef": n, "invoker": n})
        attack = ProfileVerifier(catalogue, "sol13-psk", bounds=bounds)
        goal = Not(attack.system.expand(catalogue.properties["invoker-authentication"].formula))
        start = time.perf_counter()
        depth = attack.searcher().shortest(goal, 8)
        attack_seconds = time.perf_counter() - start
        start = time.perf_counter()
        steps = len(attack.searcher().canonical(goal, depth).steps) if depth is not None else None
        canonical_seconds = time.perf_counter() - start
        honest = ProfileVerifier(catalogue, "recommended", bounds=bounds)
        witness_goal = honest.system.expand(catalogue.witnesses["psk-interconnected"].goal)
        start = time.perf_counter()
        witness = honest.searcher("honest").shortest(witness_goal, 10)
        witness_seconds = time.perf_counter() - start
        rows.append(
            {
                "providers": n,
                "ccfs": n,
                "aefs": n,
                "invokers": n,
                "counterexample_seconds": round(attack_seconds, 2),
                "counterexample_steps": steps,
                "canonical_trace_seconds": round(canonical_seconds, 2),
                "witness_seconds": round(witness_seconds, 2),
                "witness_steps": witness,
                "unbounded_proof_seconds": round(proof_seconds, 2),
                "unbounded_proof_invariant_clauses": len(invariant.kept),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> int:
    with_lemmas = full_verification(3)
    without_lemmas = full_verification(1, ["--no-hints"])
    verdicts, lemma_free = with_lemmas["verdict_of_each_cell"], without_lemmas["verdict_of_each_cell"]
    assert isinstance(verdicts, dict) and isinstance(lemma_free, dict)
    document = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "full_verification": with_lemmas,
        "full_verification_without_lemmas": without_lemmas,
        "cells_whose_verdict_depends_on_lemmas": sorted(
            cell for cell, verdict in verdicts.items() if lemma_free.get(cell) != verdict
        ),
        "proofs_without_lemmas": proofs_per_profile(),
        "bounded_search_scaling": scaling(range(2, 6)),
        "note": "the unbounded proof holds for any number of entities; its cost does not depend on N",
    }
    for run in (with_lemmas, without_lemmas):
        print(json.dumps({k: v for k, v in run.items() if k != "verdict_of_each_cell"}, indent=2))
    print("cells whose verdict depends on lemmas:", document["cells_whose_verdict_depends_on_lemmas"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
