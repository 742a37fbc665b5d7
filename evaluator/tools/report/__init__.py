"""The program report (`evaluator report`): model.py counts where a program's partners stand in
one pass; writers.py renders it as Markdown, HTML (inline SVG charts) or JSON."""
from .model import DEFAULT_NEAR_PERCENT, ProgramReport, ReportOptionError, Stats, build_report, undecided_tier
from .writers import WRITERS

__all__ = ["DEFAULT_NEAR_PERCENT", "ProgramReport", "ReportOptionError", "Stats", "WRITERS", "build_report",
           "undecided_tier"]
