"""``hundi ocr FILE``: print the invoice fields read from a PDF, PNG or JPEG as JSON."""

from __future__ import annotations

from pathlib import Path

import click

from hundi.ocr.errors import OcrError
from hundi.ocr.limits import DEFAULT_LIMITS, OcrLimits


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMITS.max_pages,
    show_default=True,
    help="Refuse documents with more pages.",
)
@click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_LIMITS.wall_seconds,
    show_default=True,
    help="Wall-clock seconds before the parser is stopped.",
)
@click.option("--compact", is_flag=True, help="One line of JSON instead of indented output.")
def ocr(file: Path, max_pages: int, timeout: float, compact: bool) -> None:
    """Extract invoice number, dates, GSTINs, amounts, currency and IRN from FILE.

    Text-layer PDFs are read directly; scanned PDFs and images are OCR'd with Tesseract. The file is parsed
    in a sandboxed process with CPU, memory, page and time limits. Each field is printed with its value, a
    confidence from 0 to 1 and the text it was read from; a field the document does not show is null.
    Exit status 1 means the file could not be read (the reason is printed).
    """
    from hundi.ocr import extract_file

    limits = OcrLimits(max_pages=max_pages, wall_seconds=timeout)
    try:
        result = extract_file(file, limits)
    except OcrError as exc:
        raise click.ClickException(f"{file}: {type(exc).__name__}: {exc}") from exc
    click.echo(result.model_dump_json(indent=None if compact else 2))
