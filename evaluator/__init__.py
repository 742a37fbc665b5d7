"""The partner policy evaluator: rules-as-data for channel partner programs.

Pipeline: load -> validate -> compile -> evaluate -> explain -> report.

    from evaluator import load_policy, Evaluator
    evaluator = Evaluator(load_policy("policies/messagelabs-apac.json"))
    decision = evaluator.evaluate({"partner_id": "P1", "annual_sales_usd": 150000})
    decision.tier.name  # 'Premier Certified'
"""
from .version import __version__

from .model.decision import Decision, InvalidRecord  # noqa: E402
from .errors import EvaluatorError, PolicyError, RecordError  # noqa: E402
from .evaluate.evaluator import Evaluator, InputRecord  # noqa: E402
from .load.policyfile import default_policy, load_policy  # noqa: E402
from .evaluate.versions import NotInForce, Program, load_program  # noqa: E402
from .evaluate.standing import History  # noqa: E402
from .evaluate.exceptions import Exceptions, load_exceptions  # noqa: E402


def compiled() -> bool:
    """True when the evaluation path runs compiled (a wheel built with Cython, see hatch_build.py),
    False when it runs as plain Python (an editable install, or no C compiler at build time).
    Decisions are the same either way; only the speed differs."""
    from .evaluate import evaluator as evaluate
    return not evaluate.__file__.endswith(".py")


__all__ = [
    "compiled",
    "Decision",
    "Evaluator",
    "EvaluatorError",
    "Exceptions",
    "History",
    "InputRecord",
    "InvalidRecord",
    "NotInForce",
    "PolicyError",
    "Program",
    "RecordError",
    "default_policy",
    "load_exceptions",
    "load_policy",
    "load_program",
    "__version__",
]
