"""Output for people, made from the catalogue and from verification results (``model/``): the generated
part of the documentation site (catalogue pages from ``spec/``, result pages from a
``capifsec verify --json`` document, as markdown and SVG figures for mkdocs), sequence diagrams
(:mod:`~publish.figures`) and plain-text step lists (:mod:`~publish.terminal`). It imports ``model``;
``model`` never imports it.

:func:`site_pages` renders every page in memory, keyed by its path under ``docs/generated/``;
:func:`write_site` writes them to a folder. The mkdocs hook in ``docs/hooks/`` serves the same pages
from the catalogue when no folder has been written, so ``mkdocs build --strict`` works in a fresh
checkout. Pages use role names (home CCF, AEF's CCF; BRIEF section 2) and cite the clauses the
catalogue cites. The formula language is the catalogue's (``model.syntax``).

Modules: :mod:`~publish.site` (the whole site), :mod:`~publish.catalogue_pages` and
:mod:`~publish.vocabulary_pages` (pages from ``spec/``), :mod:`~publish.results_pages` (pages
from a results document, read and checked by :mod:`~publish.results`),
:mod:`~publish.counterexamples` (a counterexample in words), :mod:`~publish.formulas` and
:mod:`~publish.text` (formulas and markdown).
"""

from publish.counterexamples import contribution_text, departures
from publish.formulas import formula_text
from publish.results import VERDICT_WORDS, DocsError, check_results, read_results
from publish.site import GENERATED, MARKER, results_nav, site_pages, write_site
from publish.text import md, slug
from publish.vocabulary_pages import CONTRIBUTION_LETTERS

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
