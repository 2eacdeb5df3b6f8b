"""The generated part of the documentation site: catalogue pages from ``spec/`` and result pages from a
``capifsec verify --json`` document, as markdown (and SVG figures) for mkdocs.

:func:`site_pages` renders every page in memory, keyed by its path under ``docs/generated/``;
:func:`write_site` writes them to a folder. The mkdocs hook in ``docs/hooks/`` serves the same pages
from the catalogue when no folder has been written, so ``mkdocs build --strict`` works in a fresh
checkout. Pages use role names (home CCF, AEF's CCF; BRIEF section 2) and cite the clauses the
catalogue cites. The formula language is the catalogue's (``model.syntax``).

Modules: :mod:`~model.docs.site` (the whole site), :mod:`~model.docs.catalogue_pages` and
:mod:`~model.docs.vocabulary_pages` (pages from ``spec/``), :mod:`~model.docs.results_pages` (pages
from a results document, read and checked by :mod:`~model.docs.results`),
:mod:`~model.docs.counterexamples` (a counterexample in words), :mod:`~model.docs.formulas` and
:mod:`~model.docs.text` (formulas and markdown).
"""

from model.docs.counterexamples import contribution_text, departures
from model.docs.formulas import formula_text
from model.docs.results import VERDICT_WORDS, DocsError, check_results, read_results
from model.docs.site import GENERATED, MARKER, results_nav, site_pages, write_site
from model.docs.text import md, slug
from model.docs.vocabulary_pages import CONTRIBUTION_LETTERS

__all__ = [
    "CONTRIBUTION_LETTERS",
    "GENERATED",
    "MARKER",
    "VERDICT_WORDS",
    "DocsError",
    "check_results",
    "contribution_text",
    "departures",
    "formula_text",
    "md",
    "read_results",
    "results_nav",
    "site_pages",
    "slug",
    "write_site",
]
