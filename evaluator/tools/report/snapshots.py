"""A report over several snapshots of the partner base (last quarter's facts and this quarter's):
each evaluated on its own (its own as-of date), the full report for the latest, and the movement
between them: partners per tier then and now, and each target's share in every snapshot."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import ProgramReport


@dataclass
class ReportSet:
    """The reports of one policy over snapshots in order, the last one the latest."""

    reports: list[ProgramReport]

    @property
    def latest(self) -> ProgramReport:
        return self.reports[-1]

    @property
    def invalid(self) -> int:
        return sum(len(r.invalid) for r in self.reports)

    @property
    def records(self) -> int:
        return sum(r.records for r in self.reports)

    def snapshots(self) -> list[dict[str, Any]]:
        """Per snapshot: its name, date, partners per tier and each target's standing."""
        out = []
        for report in self.reports:
            data = report.to_dict()
            out.append({"label": data["label"] or data["input"], "input": data["input"], "as_of": data["as_of"],
                        "records": data["records"], "partners": data["partners"], "invalid": data["invalid"],
                        "tiers": {t["id"] or "none": t["partners"] for t in data["tiers"]},
                        "targets": data["targets"]})
        return out

    def movement(self, snapshots: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Partners per tier in each snapshot, and the change from the first to the latest."""
        rows = []
        policy = self.latest.policy
        for key in self.latest.tier_keys:
            counts = [s["tiers"][key or "none"] for s in snapshots]
            rows.append({"id": key, "name": self.latest.tier_name(key),
                         "rank": None if key is None else policy.tier(key).rank,
                         "partners": counts, "change": counts[-1] - counts[0]})
        return rows

    def to_dict(self) -> dict[str, Any]:
        data = self.latest.to_dict()
        if len(self.reports) > 1:
            snapshots = self.snapshots()
            data["snapshots"] = [{k: v for k, v in s.items() if k != "targets"} for s in snapshots]
            data["movement"] = self.movement(snapshots)
            data["targets_over_time"] = [
                {"id": target["id"], "snapshots": [dict(s["targets"][i], label=s["label"], as_of=s["as_of"])
                                                   for s in snapshots]}
                for i, target in enumerate(data["targets"])]
        return data
