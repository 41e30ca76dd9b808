"""Look inside PDFs from tests with poppler-utils: text, embedded fonts, page images."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _run(*args: str) -> bytes:
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout  # noqa: S603


def pdf_text(pdf: bytes) -> str:
    """The text of every page, in reading order (``pdftotext -layout``)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return _run("pdftotext", "-layout", "-enc", "UTF-8", file.name, "-").decode()


def pdf_fonts(pdf: bytes) -> list[dict[str, str]]:
    """The fonts in the PDF as ``pdffonts`` lists them: name (subset prefix removed), type, emb."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        out = _run("pdffonts", file.name).decode()
    fonts = []
    # The first two lines are the header and a rule of dashes; columns are fixed width.
    for line in out.splitlines()[2:]:
        parts = line.split()
        if not parts:
            continue
        name = parts[0].split("+", 1)[-1]
        # Columns from the right: emb sub uni object-id generation.
        emb = parts[-5] if len(parts) >= 6 else ""
        fonts.append({"name": name, "embedded": emb, "line": line})
    return fonts


def pdf_font_families(pdf: bytes) -> set[str]:
    """Embedded font families, normalised: "Noto-Sans-CJK-SC-Bold" and "NotoSansCJKsc-Regular"
    both give "notosanscjksc" (WeasyPrint names fonts after the family, other tools do not)."""
    families = set()
    for font in pdf_fonts(pdf):
        name = font["name"].lower().replace("-", "")
        for style in ("regular", "bold", "italic", "light", "medium"):
            name = name.removesuffix(style)
        families.add(name)
    return families


def pdf_to_png(pdf: bytes, target: Path | str, *, page: int = 1, dpi: int = 110) -> Path:
    """Render one page to ``target`` (a .png path) and return the path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        stem = target.with_suffix("")
        _run(
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            file.name,
            str(stem),
        )
    return target
