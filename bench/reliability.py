"""Reliability figures: the events fuzz count, load (8 senders × 2,000 events, two viewers) and
the memory ceiling of a slow-callback flood. Writes the "reliability" section of RESULTS.md.

Run ``python bench/reliability.py`` from the repository root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results import write_section  # noqa: E402
from tests.conftest import ScaleDataset, small_adata  # noqa: E402
from tests.viewer_client import run_flood, run_load  # noqa: E402

import cellucid  # noqa: E402
from cellucid.viewer import Viewer  # noqa: E402


def fuzz_counts() -> dict:
    """Run the fuzz tests and return how many bodies they sent, by reply status."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "tests/test_security.py", "-k", "fuzz"], cwd=ROOT, check=True,
                       env={**os.environ, "CELLUCID_FUZZ_REPORT": str(report)})
        return json.loads(report.read_text())


def main() -> None:
    counts = fuzz_counts()
    print("fuzz:", counts, flush=True)
    viewers = [Viewer(cellucid.data.open_dataset(small_adata(200))) for _ in range(2)]
    load = run_load(viewers, senders=8, per_sender=2_000)
    print({k: v for k, v in load.items() if k != "received"}, flush=True)
    flood_viewer = Viewer(ScaleDataset(1_000_000))
    flood = run_flood(flood_viewer, posts=200)
    print("flood:", flood, flush=True)
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items()) if k != "bodies")
    five_xx = sum(v for k, v in counts.items() if k.isdigit() and int(k) >= 500)
    body = f"""
| check | result |
|---|---|
| fuzz of `POST /_cellucid/events` (hypothesis: structured bodies with valid, wrong and missing tokens, and raw bytes under six content types) | **{counts['bodies']:,} bodies**, **{five_xx} replies 5xx**; by status: {statuses}; server alive after |
| load: 8 concurrent senders × 2,000 mixed events (selection, click, console, two custom types, each with an `eventId`) to two viewers | **{load['per_second']:,.0f} events/s**, reply latency p50 **{load['p50_ms']:.1f} ms**, p99 **{load['p99_ms']:.1f} ms**, **lost {load['lost']}**, per-sender order kept, {len(load['failures'])} non-200 |
| flood: 200 posts of a 1M-cell selection (300k cells, {flood['body_bytes'] >> 10} KiB each) while the callback is blocked | replies {flood['statuses']}; **memory ceiling +{flood['growth_bytes'] >> 20} MiB** (queue cap 256 MiB of estimated payload, then 429 with Retry-After); {flood['delivered']} delivered, whole, once released |

The senders run in the same process as the server (2 cores in all), so the load figures are a
floor.
"""
    write_section("reliability", "Reliability: fuzz, load, flood (bench/reliability.py)", body)
    for v in viewers + [flood_viewer]:
        v.stop()


if __name__ == "__main__":
    main()
