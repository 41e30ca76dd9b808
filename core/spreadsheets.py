"""Spreadsheets in and out, for every app: reading xlsx / csv safely and writing them
so that a spreadsheet program never runs a cell as a formula.

What a column means is the importing app's business (e.g. orders.spreadsheets); this
module only turns bytes into rows and rows into bytes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from core.errors import Invalid
from core.uploads import FileKind

XLSX = FileKind(
    "XLSX",
    (".xlsx",),
    (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
# CSV has no signature; read_sheet refuses binary content instead.
CSV = FileKind("CSV", (".csv",), (b"",), "text/csv")
SPREADSHEET_KINDS = (XLSX, CSV)

# A zip that unpacks to more than this is refused before it is parsed (zip bomb).
MAX_UNZIPPED_BYTES = getattr(settings, "ORDER_IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024)

MSG_NOT_XLSX = gettext_lazy(
    "The file is not a readable Excel workbook (.xlsx); it may be damaged or renamed from "
    "another type."
)
MSG_ZIP_BOMB = gettext_lazy("The workbook unpacks to more than %(limit)s MB; it is refused.")
MSG_NOT_TEXT = gettext_lazy("The CSV file is not text; it may be renamed from another type.")
MSG_ENCODING = gettext_lazy("The CSV file is neither UTF-8 nor GBK text.")


class ImportFileError(Invalid):
    """The file as a whole cannot be read; ``message`` is shown to the user (400)."""

    default_code = "unreadable_file"


# --- reading -----------------------------------------------------------------------


def check_zip(data: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(data) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise ImportFileError(MSG_NOT_XLSX) from exc
    if unpacked > MAX_UNZIPPED_BYTES:
        raise ImportFileError(MSG_ZIP_BOMB % {"limit": MAX_UNZIPPED_BYTES // (1024 * 1024)})
    if "xl/workbook.xml" not in names:
        raise ImportFileError(MSG_NOT_XLSX)
    data.seek(0)


def xlsx_rows(data: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    check_zip(data)
    try:
        # read_only streams the sheet; data_only=False so formulas show as "=…" and are refused.
        workbook = load_workbook(data, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types on a damaged or foreign zip
        raise ImportFileError(MSG_NOT_XLSX) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(MSG_NOT_XLSX) from exc
    finally:
        workbook.close()


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 — what Chinese Excel saves."""
    if b"\x00" in raw[:65536]:
        raise ImportFileError(MSG_NOT_TEXT)
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError(MSG_ENCODING) from exc


def csv_rows(data: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    text = decode_csv(data.read())
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    yield from enumerate(csv.reader(io.StringIO(text), dialect), start=1)


# --- writing -----------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet program would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_xlsx(headers: list[str], rows: Iterable[list[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        # Quantities and prices stay numbers; neutralised text stays text (data_type "s").
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                value = float(value) if value == value.quantize(Decimal("0.01")) else str(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so Chinese Excel opens it with the right characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(
            [
                value.isoformat() if isinstance(value, date) else ("" if value is None else value)
                for value in row
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
