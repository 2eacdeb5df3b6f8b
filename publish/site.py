"""The whole generated site: every page and figure in memory, the results nav entries, and writing
the pages into ``docs/generated/``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from model.catalogue import Catalogue
from publish.catalogue_pages import (
    checks_page,
    lemmas_page,
    options_page,
    profiles_page,
    properties_page,
    witnesses_page,
)
from publish.fixes import check_fixes
from publish.results import DocsError, check_results
from publish.results_pages import fixes_page, profile_results_page, results_index
from publish.text import slug
from publish.vocabulary_pages import (
    contribution_names_page,
    entities_page,
    procedures_page,
    vocabulary_page,
)

GENERATED = "generated"
"""The folder under ``docs/`` that holds the generated pages."""
MARKER = ".capifsec-generated"
"""A file :func:`write_site` leaves in its folder: only such a folder is ever cleared."""


def site_pages(
    catalogue: Catalogue, results: Mapping[str, Any] | None = None, fixes: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Every generated page and figure, keyed by its path under ``docs/generated/`` (``/``-separated).

    Without ``results`` the result pages say how to produce them; ``fixes`` (a ``capifsec fixes --json``
    document) adds the computed minimal fixes to every counterexample. Raises :class:`DocsError` if
    either document is malformed or about another catalogue.
    """
    if results is not None:
        check_results(catalogue, results)
    if fixes is not None:
        check_fixes(catalogue, fixes)
    renderers: Mapping[str, Callable[[Catalogue], str]] = {
        "catalogue/properties.md": properties_page,
        "catalogue/options.md": options_page,
        "catalogue/profiles.md": profiles_page,
        "catalogue/procedures.md": procedures_page,
        "catalogue/checks.md": checks_page,
        "catalogue/entities.md": entities_page,
        "catalogue/witnesses.md": witnesses_page,
        "catalogue/lemmas.md": lemmas_page,
        "catalogue/vocabulary.md": vocabulary_page,
        "contribution-names.md": contribution_names_page,
    }
    pages = {path: render(catalogue) for path, render in renderers.items()}
    pages["results/index.md"] = results_index(catalogue, results)
    pages["results/fixes.md"] = fixes_page(catalogue, results, fixes)
    for profile in catalogue.profiles.values():
        figures: dict[str, str] = {}
        pages[f"results/{slug(profile.id)}.md"] = profile_results_page(
            catalogue, profile, results, figures, fixes
        )
        pages.update({f"results/{path}": svg for path, svg in figures.items()})
    return pages


def results_nav(catalogue: Catalogue) -> list[dict[str, str]]:
    """mkdocs nav entries for the per-profile result pages, in catalogue order."""
    return [{p.id: f"{GENERATED}/results/{slug(p.id)}.md"} for p in catalogue.profiles.values()]


def write_site(
    catalogue: Catalogue,
    results: Mapping[str, Any] | None,
    out_dir: Path,
    fixes: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write :func:`site_pages` into ``out_dir`` (normally ``docs/generated``); returns the files written.

    ``out_dir`` is replaced as a whole, so no page of an earlier run survives; a non-empty folder that
    :func:`write_site` did not write is refused with :class:`DocsError`. Nothing is written when the
    results are refused.
    """
    pages = site_pages(catalogue, results, fixes)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise DocsError(f"{out_dir}: not a folder")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise DocsError(f"{out_dir}: not empty and not written by capifsec docs; refusing to replace it")
        shutil.rmtree(out_dir)
    written = []
    for relative, content in sorted(pages.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    (out_dir / MARKER).write_text(
        "written by capifsec docs; replaced as a whole on the next run\n", encoding="utf-8"
    )
    return written
