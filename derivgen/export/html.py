"""A static web site of worked solutions: ``index.html`` and one page per problem.

Math is typeset in the browser by KaTeX, shipped with the site in ``katex/`` (copied from
Debian's ``libjs-katex``, see README's Design section), so the site works offline, from a
USB stick or any static file host.  Pages are plain HTML with a viewport meta tag and
one display per step, each scrolling sideways by itself: readable on a phone.
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

from derivgen.errors import DerivgenError
from derivgen.files import write_atomically
from derivgen.export.common import (Exported, key_html, math_html, point_html, prose_html,
                                    solution_html)

#: Where KaTeX is looked for: $DERIVGEN_KATEX, then Debian's libjs-katex.
KATEX_DIRS = ("/usr/share/javascript/katex",)
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.js")

STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5;
       max-width: 52rem; margin: 0 auto; padding: 1rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5rem; line-height: 1.25; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
h4 { margin: 1.2rem 0 0.3rem; }
a { color: #0b57d0; }
nav { font-size: 0.9rem; margin-bottom: 1rem; }
.dg-math { overflow-x: auto; overflow-y: hidden; padding: 0.1rem 0; }
.dg-math .katex-display { margin: 0.3rem 0; }
.dg-math .katex-display > .katex { text-align: left; }
.dg-step { margin-left: 0.5rem; }
.dg-rule { font-size: 0.85rem; color: #555; margin: -0.2rem 0 0.4rem 1rem; }
.dg-result .katex-display > .katex { text-align: center; }
.dg-verified { color: #137333; font-size: 0.9rem; }
ol.dg-index li { margin: 0.4rem 0; }
details { margin-top: 1.5rem; }
"""

#: KaTeX shows an unknown command in ERROR_COLOR (tests look for it); the PDFs' own
#: shorthands (\argmax, \tr, ...) are spelled out by ``common.math_html`` before KaTeX sees them.
ERROR_COLOR = "#cc0000"
RENDER_JS = r"""
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [{left: "\\[", right: "\\]", display: true},
                 {left: "\\(", right: "\\)", display: false}],
    throwOnError: false, trust: false, strict: "ignore", errorColor: "@ERROR_COLOR@",
    macros: {"\\ensuremath": "#1"}
  });
  document.body.setAttribute("data-math", "rendered");
});
""".lstrip().replace("@ERROR_COLOR@", ERROR_COLOR)


def katex_dir() -> Path:
    """The folder of KaTeX's browser files; DerivgenError saying how to get it if missing."""
    candidates = [os.environ["DERIVGEN_KATEX"]] if os.environ.get("DERIVGEN_KATEX") else []
    for folder in candidates + list(KATEX_DIRS):
        path = Path(folder)
        if all((path / name).is_file() for name in KATEX_FILES) and (path / "fonts").is_dir():
            return path
    raise DerivgenError("KaTeX not found: install Debian's libjs-katex (./setup.sh does), or "
                        "set DERIVGEN_KATEX to a folder with katex.min.js, katex.min.css, "
                        "fonts/ and contrib/auto-render.js", file="export html")


def write_site(problems: list[Exported], out_dir, title: str = "Worked solutions") -> list[Path]:
    """Write the site into ``out_dir``; returns the pages written (index first)."""
    source = katex_dir()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _copy_katex(source, out / "katex")
    write_atomically(out / "style.css", STYLE)
    write_atomically(out / "render-math.js", RENDER_JS)
    pages = [out / "index.html"]
    write_atomically(pages[0], index_page(problems, title))
    for number, ex in enumerate(problems, start=1):
        page = out / page_name(ex)
        write_atomically(page, problem_page(ex, number, title))
        pages.append(page)
    return pages


def page_name(ex: Exported) -> str:
    suffix = "" if ex.variant is None else f"-v{ex.variant}"
    return f"{ex.id}{suffix}.html"


def _copy_katex(source: Path, target: Path) -> None:
    """KaTeX's files (symlinks followed: Debian links fonts/ to fonts-katex)."""
    for name in KATEX_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
    fonts = target / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for font in sorted((source / "fonts").iterdir()):
        if font.suffix in (".woff2", ".woff", ".ttf"):
            shutil.copyfile(font, fonts / font.name)



def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="katex/katex.min.css">
<link rel="stylesheet" href="style.css">
<script defer src="katex/katex.min.js"></script>
<script defer src="katex/contrib/auto-render.js"></script>
<script defer src="render-math.js"></script>
</head>
<body>
{body}
</body>
</html>
"""


def index_page(problems: list[Exported], title: str) -> str:
    items = []
    for number, ex in enumerate(problems, start=1):
        name = ex.title if ex.variant is None else f"{ex.title} (variant {ex.variant})"
        items.append(f'<li><a href="{html.escape(page_name(ex))}">{html.escape(name)}</a> '
                     f'&mdash; {math_html(ex.function)}</li>')
    body = (f"<h1>{html.escape(title)}</h1>\n"
            f"<p>{len(problems)} problem{'s' if len(problems) != 1 else ''}, each with a "
            "step-by-step solution verified numerically.</p>\n"
            '<ol class="dg-index">\n' + "\n".join(items) + "\n</ol>")
    return _page(title, body)


def problem_page(ex: Exported, number: int, site_title: str) -> str:
    name = ex.title if ex.variant is None else f"{ex.title} (variant {ex.variant})"
    body = (f'<nav><a href="index.html">{html.escape(site_title)}</a></nav>\n'
            f"<h1>Problem {number}. {html.escape(name)}</h1>\n"
            f"<p>{prose_html(ex.statement)}</p>\n"
            "<h2>Solution</h2>\n" + solution_html(ex) + "\n"
            "<details><summary>Check your result numerically</summary>\n"
            + point_html(ex) + "\n<p>There:</p>\n" + key_html(ex) + "\n</details>")
    return _page(f"{name} - {site_title}", body)
