"""The program report (`evaluator report`): model.py counts where a program's partners stand in
one pass (people.py keeps the near misses and partners at risk by name, mix.py each target's
shares); snapshots.py compares several snapshots; sections.py arranges the content as blocks that
writers.py renders as Markdown or HTML (inline SVG charts), or the data as JSON."""
from .model import DEFAULT_NEAR_PERCENT, ProgramReport, ReportOptionError, Stats, build_report, undecided_tier
from .people import DEFAULT_LIST_LIMIT
from .snapshots import ReportSet
from .writers import WRITERS

__all__ = ["DEFAULT_LIST_LIMIT", "DEFAULT_NEAR_PERCENT", "ProgramReport", "ReportOptionError", "ReportSet", "Stats",
           "WRITERS", "build_report", "undecided_tier"]
