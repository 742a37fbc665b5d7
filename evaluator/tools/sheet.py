"""The program sheet: what partners and managers read, generated from the policy alone.

`program_sheet(policy)` builds the sheet once as a list of blocks (headings, paragraphs, tables,
lists) whose text is made of plain and code spans; RENDERERS turns the blocks into Markdown or
into one self-contained HTML file (inline CSS, no scripts, no external resources) that prints
well. Nothing but the policy goes in (no clock, no environment), so the same policy always gives
the same sheet, and the sheet names the policy's version and sha256 it was made from.

Conditions are written in words (`annual_sales_usd` at least 1,000,000 USD; one of AU, NZ) next
to the criterion's own description, so a reader sees both what was meant and what is checked.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any, Callable, Union

from ..version import __version__
from ..evaluate.history import Rules
from ..language.conditions import case_parts
from ..language.facttypes import FACT_TYPES
from ..language.measures import MEASURES
from ..language.operators import OPERATORS
from ..model.policy import NO_DEFAULT, All, Any_, Comparison, Condition, Criterion, Not, Policy

from .sheetblocks import Block, Break, Code, Heading, Items, Para, Span, Table, Text
from .sheetpay import amount_words, payouts_blocks


def _t(*spans: Span) -> Text:
    return tuple(s for s in spans if s != "")


def _join(parts: list[Text], sep: Span) -> Text:
    out: list[Span] = []
    for i, part in enumerate(parts):
        if i:
            out.append(sep)
        out.extend(part)
    return tuple(out)


# --- values and conditions in words -----------------------------------------------------------------

def number_text(value: Any) -> str:
    """1000000 -> 1,000,000; 99999.99 -> 99,999.99."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.10f}".rstrip("0").rstrip(".")


def _value_text(policy: Policy, comparison: Comparison, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        unit = _unit(policy, comparison)
        return number_text(value) + (f" {_singular(unit) if value == 1 else unit}" if unit else "")
    return str(value)


def _singular(unit: str) -> str:
    """1 referral, 1 country; currency codes and other units stay as written."""
    if unit.islower() and unit.endswith("ies"):
        return unit[:-3] + "y"
    if unit.islower() and unit.endswith("s") and not unit.endswith("ss"):
        return unit[:-1]
    return unit


def _unit(policy: Policy, comparison: Comparison) -> str | None:
    operand = comparison.operand
    if operand.kind == "fact":
        spec = policy.facts.get(operand.name)
        return spec.unit if spec else None
    measure = policy.measures.get(operand.name)
    return measure.unit if measure else None


def _list_text(policy: Policy, comparison: Comparison, values: Any) -> str:
    return ", ".join(_value_text(policy, comparison, v) for v in values)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def condition_words(policy: Policy, condition: Condition) -> Text:
    """A condition in words: `annual_sales_usd` at least 1,000,000 USD; `a` ... and (either ... or ...)."""
    if isinstance(condition, Comparison):
        words = OPERATORS[condition.op].words
        assert words is not None  # a policy writes only operators that have words (tests/test_registry.py)
        return _t(Code(condition.operand.name), " " + words(lambda v: _value_text(policy, condition, v), condition.value))
    if isinstance(condition, Not):
        return _t("not (", *condition_words(policy, condition.part), ")")
    if isinstance(condition, All) and condition.name is not None:  # defined under "Named conditions"
        return _t(Code(condition.name))
    if isinstance(condition, Any_) and condition.name is not None:  # a value per segment or by cases
        return _join([_t(*condition_words(policy, test), *((" if ", *condition_words(policy, own)) if own is not None
                                                         else (" otherwise",))) for own, test in case_parts(condition)], "; ")
    parts = [condition_words(policy, p) for p in condition.parts]
    if len(parts) == 1:
        return parts[0]
    nested = [(_t("(", *p, ")") if isinstance(c, (All, Any_)) else p) for c, p in zip(condition.parts, parts)]
    if isinstance(condition, All):
        return _join(nested, "; and ")
    return _t("either ", *_join(nested, "; or "))


# --- measures in words --------------------------------------------------------------------------------

def expression_words(expr: Any) -> Text:
    """A measure's formula in words, naming facts and measures as code."""
    if isinstance(expr, bool):
        return _t(str(expr).lower())
    if isinstance(expr, (int, float)):
        return _t(number_text(expr))
    if isinstance(expr, str):
        return _t(Code(expr))
    ((op, arg),) = expr.items()
    return MEASURES[op].words(arg, _WORDS)


class _Words:
    """The Words interface of language/measures.py: a formula's pieces as sheet text."""

    def seq(self, *parts: Any) -> Text:
        out: list[Span] = []
        for part in parts:
            out.extend(part if isinstance(part, tuple) else _t(part))
        return tuple(out)

    def listed(self, args: list[Any], sep: str) -> Text:
        return _join([expression_words(a) for a in args], sep)

    def code(self, name: str) -> Text:
        return _t(Code(name))

    def number(self, value: Any) -> str:
        return number_text(value)


_WORDS = _Words()


# --- the sheet ------------------------------------------------------------------------------------------

def _benefit_text(benefit: dict[str, Any], amount: str | None = None) -> Text:
    text = benefit["description"]
    details = [] if amount is None else [amount]  # what it pays, in words (sheetpay.py)
    if "value" in benefit and amount is None:
        value = benefit["value"]
        unit = benefit.get("unit")
        shown = number_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        details.append(f"{shown}{'%' if unit == 'percent' else ' ' + unit if unit else ''}"
                       + (f" of {benefit['basis'].replace('_', ' ')}" if "basis" in benefit else ""))
    if "period" in benefit or "frequency" in benefit:
        details.append(benefit.get("period", benefit.get("frequency", "")).replace("_", " "))
    if "from_contract" in benefit:
        details.append(f"from contract {benefit['from_contract']}")
    if benefit.get("opt_in"):
        details.append("opt-in")
    return _t(text + (f" ({', '.join(details)})" if details else ""))


def _criteria_cell(policy: Policy, criteria: list[Criterion]) -> Text:
    if not criteria:
        return _t("none: every valid partner qualifies")
    parts = [_t(c.description + " — ", *condition_words(policy, c.condition)) for c in criteria]
    return _join(parts, Break())


def _fact_rules(spec: Any) -> Text:
    rules: list[Text] = []
    if spec.required:
        rules.append(_t("required"))
    if spec.minimum is not None:
        rules.append(_t(f"at least {number_text(spec.minimum)}"))
    if spec.maximum is not None:
        rules.append(_t(f"at most {number_text(spec.maximum)}"))
    if spec.enum is not None:
        rules.append(_t(FACT_TYPES[spec.type].enum_words + " " + ", ".join(spec.enum)))
    if spec.pattern is not None:
        rules.append(_t("matches ", Code(spec.pattern)))
    if spec.max_items is not None:
        rules.append(_t(f"at most {spec.max_items} items"))
    if spec.default is not NO_DEFAULT:
        rules.append(_t("default ", Code(json.dumps(spec.default, ensure_ascii=False))))
    if spec.fields:  # a record_list's item catalogue: each field with its own type and rules
        fields = [_t(Code(f.name), f" ({FACT_TYPES[f.type].words}" + (f", {f.unit}" if f.unit else "")
                     + (": " if _fact_rules(f) else ""), *_fact_rules(f), ")") for f in spec.fields]
        rules.append(_t("each item has ", *_join(fields, ", ")))
    return _join(rules, "; ")


def _dates(policy: Policy) -> str:
    effective = policy.effective or {}
    start, until = effective.get("from"), effective.get("until")
    if not start:
        return "not stated"
    return f"from {start}" + (f" until {until} (inclusive)" if until else ", with no end date")


def _targets(policy: Policy) -> list[Block]:
    """The program's goals: measured by `evaluator report`, deciding no tier."""
    out: list[Block] = [Heading(2, "Targets"), Para(_t("Goals of the program, measured over all partners by "
                                                       "evaluator report; they decide no partner's tier."))]
    rows = []
    for t in policy.targets:
        whole = _join([_t(Code(n)) for n in t.whole], " + ")
        levels = [_t(f"at least {number_text(t.at_least_percent)}% by {t.by} overall")]
        levels += [_t(f"{number_text(s.at_least_percent)}% by {s.by or t.by} in ", Code(s.value)) for s in t.segments]
        per = _t(" (per ", Code(t.per), ")") if t.per else _t()
        rows.append((_t(t.title + (": " + t.description if t.description else "")),
                     _t(Code(t.part), " as a share of ", *whole, *per), _join(levels, Break())))
    out.append(Table(("Target", "Measured as", "Level"), tuple(rows)))
    return out


def program_sheet(policy: Policy) -> list[Block]:
    """The sheet's blocks, in reading order."""
    blocks: list[Block] = [Heading(1, policy.title)]
    if policy.description:
        blocks.append(Para(_t(policy.description)))
    blocks.append(Table(("", ""), (
        (_t("Program"), _t(Code(policy.id))),
        (_t("Version"), _t(policy.version)),
        (_t("Effective"), _t(_dates(policy))),
        (_t("Currency"), _t(policy.currency)),
        (_t("Policy sha256"), _t(Code(policy.sha256))),
    ), css="meta"))

    blocks.append(Heading(2, "Tiers"))
    blocks.append(Para(_t("Tiers are ranked highest first. A partner gets the highest-ranked tier whose required "
                          "criteria are all met" + (", unless an override below applies first" if policy.overrides
                                                     else "") + "; a partner that meets none gets no tier. Bounds "
                          "written \"at least\" include the amount itself.")))
    rows = []
    for tier in policy.tiers:
        required = [c for c in tier.criteria if not c.advisory]
        amounts = amount_words(policy, tier)
        benefits = _join([_benefit_text(b, amounts.get(i)) for i, b in enumerate(tier.benefits)], Break()) or _t("—")
        name = _t(tier.name) if not tier.description else _t(tier.name + ": " + tier.description)
        rows.append((_t(str(tier.rank)), name, _criteria_cell(policy, required), benefits))
    blocks.append(Table(("Rank", "Tier", "Required criteria", "Benefits"), tuple(rows), css="tiers"))
    blocks += payouts_blocks(policy, condition_words)  # what the benefits with an amount pay: sheetpay.py

    advisory = [(t, c) for t in policy.tiers for c in t.criteria if c.advisory]
    if advisory:
        blocks.append(Heading(2, "Advisory criteria"))
        blocks.append(Para(_t("Reported in every decision, but they do not decide the tier.")))
        blocks.append(Table(("Tier", "Criterion", "In words"), tuple(
            (_t(t.name), _t(c.description), condition_words(policy, c.condition)) for t, c in advisory)))

    if policy.overrides:
        blocks.append(Heading(2, "Overrides"))
        blocks.append(Para(_t("Applied before the tiers, in this order: the first that applies sets the result.")))
        blocks.append(Table(("Override", "When", "Result"), tuple(
            (_t(o.description), condition_words(policy, o.when),
             _t(policy.tier(o.tier).name if o.tier is not None else "no tier")) for o in policy.overrides)))

    if "transitions" in policy.document:  # the tier history rules (evaluate/history.py), in words
        rules = Rules.of(policy)
        blocks.append(Heading(2, "From one review to the next"))
        blocks.append(Items(tuple(_t(line) for line in ([rules.description] if rules.description else [])
                                  + rules.words())))
    if policy.targets:
        blocks += _targets(policy)

    blocks.append(Heading(2, "Facts"))
    blocks.append(Para(_t("What the program reads about each partner. ", Code(policy.id_fact),
                          " names the partner in decisions. A fact left out is missing: criteria that need it "
                          "are reported as missing, never guessed.")))
    blocks.append(Table(("Fact", "Meaning", "Type", "Unit", "Rules"), tuple(
        (_t(Code(name)), _t(spec.description), _t(FACT_TYPES[spec.type].words), _t(spec.unit or ""), _fact_rules(spec))
        for name, spec in policy.facts.items())))

    if policy.measures:
        blocks.append(Heading(2, "Measures"))
        blocks.append(Para(_t("Values computed from the facts; a measure whose facts are missing is missing.")))
        blocks.append(Table(("Measure", "Meaning", "Computed as", "Unit"), tuple(
            (_t(Code(name)), _t(m.description), expression_words(m.compute), _t(m.unit or ""))
            for name, m in policy.measures.items())))

    if policy.parameters or policy.named:
        blocks.append(Heading(2, "Parameters and named conditions"))
        blocks.append(Table(("Name", "Meaning", "Value"), tuple(
            [(_t(Code(n)), _t(p.description), _t(json.dumps(p.value, ensure_ascii=False))) for n, p in policy.parameters.items()]
            + [(_t(Code(n)), _t(c.description), condition_words(policy, c.condition) if c.condition else _t("—"))
               for n, c in policy.named.items()])))
    source = policy.source.replace("\\", "/").rsplit("/", 1)[-1] if policy.source else "the policy"
    blocks.append(Para(_t(f"Generated from {source} (", Code(policy.id), f" version {policy.version}, sha256 ",
                          Code(policy.sha256[:12]), f"…) by evaluator {__version__}. "
                          "Generated from the policy alone: regenerate it whenever the policy changes.")))
    return blocks


# --- Markdown -----------------------------------------------------------------------------------------------

def _md_span(span: Span) -> str:
    if isinstance(span, Break):
        return "<br>"
    if isinstance(span, Code):
        fence = "``" if "`" in span.text else "`"  # a backtick inside needs a longer fence
        pad = " " if fence == "``" else ""
        return f"{fence}{pad}{span.text.replace('|', chr(92) + '|')}{pad}{fence}"  # `|` would end a table cell
    text = span.replace("\\", "\\\\")
    for ch in "*_`[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_text(text: Text) -> str:
    return "".join(_md_span(s) for s in text).replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + _md_text(_t(block.text)))
        elif isinstance(block, Para):
            out.append(_md_text(block.text))
        elif isinstance(block, Items):
            out.append("\n".join("- " + _md_text(item) for item in block.items))
        else:
            headers = [h or " " for h in block.headers]
            lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
            lines += ["| " + " | ".join(_md_text(cell) or " " for cell in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


# --- HTML -----------------------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font: 11pt/1.45 "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; max-width: 60rem;
       margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 1.8rem; border-bottom: 2px solid #2b5797; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border: 1px solid #c8ccd2; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
table.meta { width: auto; }
table.meta td:first-child { font-weight: 600; background: #f6f7f9; }
table.meta thead { display: none; }
table.tiers td:first-child { text-align: center; font-weight: 700; width: 3rem; }
code { font-family: "SFMono-Regular", Consolas, monospace; font-size: .92em; background: #f2f3f5;
       padding: 0 .2em; border-radius: 3px; word-break: break-all; }
p:last-of-type { color: #555; font-size: .9em; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, td, th { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  th { background: #eef1f6 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()


def _html_text(text: Text) -> str:
    return "".join("<br>" if isinstance(s, Break) else f"<code>{html.escape(s.text)}</code>" if isinstance(s, Code)
                   else html.escape(s) for s in text)


def to_html(blocks: list[Block], title: str) -> str:
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{_html_text(block.text)}</p>")
        elif isinstance(block, Items):
            body.append("<ul>" + "".join(f"<li>{_html_text(i)}</li>" for i in block.items) + "</ul>")
        else:
            css = f' class="{block.css}"' if block.css else ""
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            rows = "".join("<tr>" + "".join(f"<td>{_html_text(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            body.append(f"<table{css}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


RENDERERS: dict[str, Callable[[list[Block], Policy], str]] = {
    "markdown": lambda blocks, policy: to_markdown(blocks),
    "html": lambda blocks, policy: to_html(blocks, f"{policy.title} — version {policy.version}"),
}


def render_sheet(policy: Policy, fmt: str = "markdown") -> str:
    """The program sheet of a policy as Markdown or as one self-contained HTML document."""
    return RENDERERS[fmt](program_sheet(policy), policy)
