"""The HTML program report as a reader sees it: parsed with html.parser (and, where Chromium is
installed, rendered by it headless): titles in words, the as-of date and the policy's id,
version and sha256, near misses and partners at risk by name, a totals row under every table of
counts, the channel-mix section with its chart and target markers; hostile names stay text."""
from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import EXAMPLES, SHIPPED
from evaluator import load_policy

QUARTERS = EXAMPLES / "quarters"


class Page(HTMLParser):
    """Headings, paragraphs, list items and tables (with their totals rows) as text; svg counts."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.paragraphs: list[str] = []
        self.items: list[str] = []
        self.tables: list[dict] = []
        self.tags: dict[str, int] = {}
        self.svg_titles: list[str] = []
        self.markers = 0
        self._text: list[str] | None = None
        self._stack: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self._stack.append(tag)
        if tag in ("h1", "h2", "h3", "p", "li", "title"):
            self._text = []
        elif tag == "table":
            self.tables.append({"head": [], "body": [], "foot": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "line" and dict(attrs).get("stroke-dasharray"):
            self.markers += 1

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop() != tag:
            pass
        text = "".join(self._text or []).strip()
        if tag in ("h1", "h2", "h3"):
            self.headings.append(text)
        elif tag == "p":
            self.paragraphs.append(text)
        elif tag == "li":
            self.items.append(text)
        elif tag == "title" and "svg" in self._stack:
            self.svg_titles.append(text)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._cell or []).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            part = "foot" if "tfoot" in self._stack else "head" if "thead" in self._stack else "body"
            self.tables[-1][part].append(self._row)
            self._row = None
        if tag in ("h1", "h2", "h3", "p", "li", "title"):
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def quarters_html(tmp_path_factory):
    from conftest import run_cli
    out = tmp_path_factory.mktemp("html") / "report.html"
    proc = run_cli("report", str(QUARTERS / "2007-q2.csv"), str(QUARTERS / "2007-q3.csv"), "--as-of", "2007-06-30",
                   "--as-of", "2007-09-30", "--format", "html", "-o", str(out))
    assert proc.returncode == 0, proc.stderr_text
    return out


def test_titles_are_words_and_provenance_is_on_the_page(quarters_html):
    page = parse(quarters_html.read_text())
    sha = load_policy(SHIPPED).sha256
    assert page.headings[0] == "Program report: MessageLabs Asia-Pacific partner program"
    assert {"Partners per tier", "Movement between snapshots", "Channel share of sales",
            "Regions: channel share of sales", "Channel share of sales by tier", "Annual sales (USD) per tier",
            "Direct sales (USD) per tier", "Near misses and partners at risk", "Partners near the next tier",
            "Partners at risk of losing their tier", "Regions: partners per tier",
            "Countries: partners per tier"} <= set(page.headings)
    fact_ids = ("annual_sales_usd", "direct_sales_usd", "referrals_this_year", "regions", "countries")
    assert not [h for h in page.headings if any(i in h for i in fact_ids)]  # no raw ids in a title
    meta = " ".join(page.paragraphs[:3])
    version = load_policy(SHIPPED).version
    assert f"Policy messagelabs-apac version {version}, sha256 {sha}." in meta
    assert "2007-q2 as of 2007-06-30 (26 partners), 2007-q3 as of 2007-09-30 (27 partners)" in meta
    assert "As of 2007-09-30:" in meta
    assert "`" not in quarters_html.read_text()  # commands in <code>, never in backticks


def test_every_table_of_counts_has_a_totals_row(quarters_html):
    page = parse(quarters_html.read_text())
    tiers = next(t for t in page.tables if t["head"][0] == ["rank", "tier", "partners", "share"])
    assert tiers["foot"] == [["", "All partners", "27", "100.0%"]]
    assert sum(int(row[2]) for row in tiers["body"]) == 27
    movement = next(t for t in page.tables if t["head"][0][-1] == "change since 2007-q2")
    assert movement["foot"] == [["All partners", "26", "27", "+1"]]
    sales = next(t for t in page.tables if t["head"][0][1] == "partners with a value")
    assert sales["foot"] == [["All partners", "25", "14,809,248.50", "592,369.94", "0", "4,850,000"]]
    near = next(t for t in page.tables if t["head"][0][1] == "near misses")
    assert near["foot"] == [["All tiers", "2", "6", "2"]]
    regions = next(t for t in page.tables if t["head"][0][0] == "Regions" and t["head"][0][1] == "partners")
    assert regions["foot"][0][:3] == ["All partners", "27", "5"]
    # every table but the channel overview (one row per snapshot) and invalid records has totals
    assert sum(1 for t in page.tables if not t["foot"]) == 1


def test_near_misses_and_partners_at_risk_by_name(quarters_html):
    page = parse(quarters_html.read_text())
    assert ("MCI Pacific (AP-0004), now Premier Certified: Annual sales 999,999.99 USD, at least 1,000,000 "
            "needed: 0.01 USD more (under 0.01% of the threshold)") in page.items
    assert ("IBM Global Services HK (AP-0003): Annual sales 1,000,000 USD, at least 1,000,000 needed: 0 USD to "
            "spare (0% of the threshold)") in page.items
    assert "Near Alliance Partner (1 partner, closest first):" in page.paragraphs
    assert "At risk in Premier Certified (2 partners, closest first):" in page.paragraphs
    harbour = page.items.index(next(i for i in page.items if i.startswith("Harbour Integration Ltd")))
    assert page.items[harbour + 1].startswith("Melbourne Channel Partners")  # 0 to spare before 0.01


def test_the_channel_mix_section_and_its_chart(quarters_html):
    page = parse(quarters_html.read_text())
    overview = next(t for t in page.tables if t["head"][0][:2] == ["snapshot", "as of"])
    assert overview["body"] == [
        ["2007-q2", "2007-06-30", "24", "14,065,250.50", "17,942,250.50", "78.4%", "80%",
         "1.61 points below, 184 days left"],
        ["2007-q3", "2007-09-30", "25", "14,809,248.50", "17,792,248.50", "83.2%", "80%", "met"]]
    regions = next(t for t in page.tables if t["head"][0][:2] == ["Regions", "target"])
    rows = {row[0]: row for row in regions["body"]}
    assert rows["ANZ"][1:5] == ["100% by 2007-12-31", "97.1%", "98.1%", "1.87 points below, 92 days left"]
    assert rows["AMERICAS"][1:4] == ["80% by 2007-12-31 (overall)", "29.3%", "38.4%"]
    assert regions["foot"][0][:5] == ["All partners, each once", "80% by 2007-12-31", "78.4%", "83.2%", "met"]
    tiers = next(t for t in page.tables if t["head"][0][:2] == ["tier", "share 2007-q2"])
    assert tiers["body"][0][:4] == ["Alliance Partner", "73.3%", "79.9%", "0.1 points below, 92 days left"]
    assert "Regions: channel share of sales against the target" in page.svg_titles
    assert page.markers == 8  # a target marker per region and one for all partners
    assert "ANZ: 2007-q3: 98.1%" in page.svg_titles and "ANZ: target 100.0%" in page.svg_titles
    assert page.tags.get("script") is None and page.tags["svg"] >= 7


def test_hostile_names_are_text_in_html_and_markdown(cli, tmp_path):
    facts = tmp_path / "p.jsonl"
    name = '<img src=x onerror=alert(1)>*[x](javascript:y)*'
    facts.write_text(json.dumps({"partner_id": "P-1", "partner_name": name, "annual_sales_usd": 999999}) + "\n")
    html = cli("report", str(facts), "--format", "html").stdout_text
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    page = parse(html)
    assert any(item.startswith(name + " (P-1)") for item in page.items)
    md = cli("report", str(facts)).stdout_text
    assert "<img" not in md and "\\[x\\](javascript:y)" in md and "&lt;img" in md


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_headless_chromium_renders_the_report(quarters_html, tmp_path):
    """The browser's own DOM of the page holds the names, the totals and the chart; a screenshot
    is taken (kept beside the report for a reader to look at)."""
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(base + ["--dump-dom", quarters_html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = parse(dom.stdout)
    assert page.headings[0] == "Program report: MessageLabs Asia-Pacific partner program"
    assert any(i.startswith("MCI Pacific (AP-0004)") for i in page.items)
    assert ["", "All partners", "27", "100.0%"] in [r for t in page.tables for r in t["foot"]]
    assert "Regions: channel share of sales against the target" in page.svg_titles and page.markers == 8
    shot = tmp_path / "report.png"
    run = subprocess.run(base + ["--window-size=1200,2600", f"--screenshot={shot}", quarters_html.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
