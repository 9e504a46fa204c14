"""The web site in a real browser: headless Chromium (Debian's ``chromium``, which setup.sh
installs) loads the pages offline, KaTeX typesets every formula without an error, and no
raw LaTeX is left in the text a reader sees."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from derivgen.cli import main
from derivgen.export.html import ERROR_COLOR

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "Chromium is missing: run ./setup.sh (it installs Debian's chromium)"
    profile = tmp_path / "chromium-profile"
    return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                           "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=120)


#: A problem with what instructors write beyond ASCII: Greek in math (the PDFs turn it into
#: \ensuremath{\alpha}), accents and symbols in the text, \argmax from the PDFs' preamble.
UNICODE_PROBLEM = """\
title: 'Régularisation — α ≥ 0'
statement: 'Soit $α ≥ 0$ et $\\hat{\\mathbf{x}} = \\argmin_{\\mathbf{x}} f$ ; dérivez $f$ (≈ 5 €).'
variables: {x: {shape: [n]}, lam: {shape: [], latex: '\\lambda'}}
function: '\\lambda \\mathbf{x}^T\\mathbf{x}'
wrt: x
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    extra = tmp_path_factory.mktemp("extra") / "unicode.yaml"
    extra.write_text(UNICODE_PROBLEM, encoding="utf-8")
    assert main(["export", "html", str(PROBLEMS), str(extra), "-o", str(out), "-q"]) == 0
    assert "Régularisation" in (out / "unicode.html").read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def all_pages(site):
    """One page holding the bodies of every problem page: one browser run checks them all."""
    bodies = []
    for page in sorted(site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        bodies.append(text[text.index("<body>") + 6:text.index("</body>")])
    index = (site / "index.html").read_text(encoding="utf-8")
    head = index[:index.index("<body>") + 6]
    combined = site / "all-pages-for-test.html"
    combined.write_text(head + "\n".join(bodies) + "</body></html>\n", encoding="utf-8")
    return combined


class VisibleText(HTMLParser):
    """Text outside KaTeX's output (and outside scripts), plus counts of what KaTeX made."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []     # per open element: inside KaTeX or a script?
        self.text: list[str] = []
        self.katex = 0
        self.errors = 0
        self.rendered_flag = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.katex += "katex" in classes
        # a formula KaTeX cannot parse, or an unknown command in it (shown in ERROR_COLOR)
        self.errors += "katex-error" in classes \
            or attrs.get("mathcolor") == ERROR_COLOR
        if tag == "body" and attrs.get("data-math") == "rendered":
            self.rendered_flag = True
        hidden = "katex" in classes or tag in ("script", "style", "title")
        if tag in ("meta", "link", "br", "img", "input"):
            return
        self.stack.append(hidden or (self.stack[-1] if self.stack else False))

    def handle_endtag(self, tag):
        if tag in ("meta", "link", "br", "img", "input"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


def rendered(tmp_path, page: Path) -> tuple[VisibleText, str]:
    run = chromium(tmp_path, "--dump-dom", page.as_uri())
    parser = VisibleText()
    parser.feed(run.stdout)
    return parser, run.stderr


def test_every_formula_of_every_page_is_typeset_without_error(tmp_path, site, all_pages):
    source = all_pages.read_text(encoding="utf-8")
    formulas = source.count("\\(") + source.count("\\[")
    page, log = rendered(tmp_path, all_pages)
    assert page.rendered_flag, "KaTeX's auto-render did not run (offline files missing?)"
    assert page.errors == 0
    assert page.katex >= formulas > 100
    visible = "".join(page.text)
    assert not re.search(r"\\(frac|mathbf|operatorname|begin|left|right|partial|\(|\[)",
                         visible), re.findall(r".{0,30}\\[a-z(\[]+.{0,10}", visible)[:5]
    console = [line for line in log.splitlines() if "CONSOLE" in line]
    assert console == []


def test_the_site_works_offline_with_katex_shipped(site):
    assert (site / "katex" / "katex.min.js").is_file()
    assert (site / "katex" / "contrib" / "auto-render.js").is_file()
    fonts = list((site / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))
    assert fonts and fonts[0].stat().st_size > 10_000
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), page.name
        assert '<meta name="viewport"' in text


def test_index_links_every_problem(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+\.html)">', index)
    assert len(links) == len([p for p in PROBLEMS.glob("*.yaml") if p.stem != "set"]) + 1
    assert all((site / link).is_file() for link in links)


def test_example_5_screenshot_on_a_phone(tmp_path, site):
    """The lecture's Example 5 at a phone's width: typeset, and a look at the PNG shows it
    (tests/README: screenshots were checked by eye when this test was written)."""
    page = site / "60-two-layer-network.html"
    parsed, _ = rendered(tmp_path, page)
    assert parsed.errors == 0 and parsed.katex > 50
    shot = tmp_path / "example5.png"
    run = chromium(tmp_path, f"--screenshot={shot}", "--window-size=412,1400",
                   "--hide-scrollbars", page.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_hostile_statement_is_text_on_the_page(tmp_path, capsys):
    problem = tmp_path / "p" / "hostile.yaml"
    problem.parent.mkdir()
    problem.write_text("title: '<img src=x onerror=alert(1)>'\n"
                       "statement: '<script>document.title=1</script> Find $\\mathbf{x}$.'\n"
                       "variables: {x: {shape: [n]}}\nfunction: '\\mathbf{x}^T\\mathbf{x}'\n"
                       "wrt: x\n")
    out = tmp_path / "site"
    assert main(["export", "html", str(problem), "-o", str(out), "-q"]) == 0
    text = (out / "hostile.html").read_text(encoding="utf-8")
    assert "<script>document" not in text and "<img src=x" not in text
    assert "&lt;script&gt;document.title=1&lt;/script&gt;" in text
