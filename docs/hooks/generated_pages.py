"""mkdocs hook: the pages generated from the catalogue (``publish``) and their nav entries.

``capifsec docs`` writes the generated pages, with verification results, into ``docs/generated/``.
Any generated page not written there is served from the catalogue in ``spec/`` (results pages then
say how to produce them), so ``mkdocs build --strict`` passes in a fresh checkout too. The results
section of the nav gets one entry per profile of the catalogue.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from model.catalogue import Catalogue, CatalogueError, load_catalogue
from publish import GENERATED, results_nav, site_pages

RESULTS_SECTION = "Results"


def _catalogue(config: MkDocsConfig) -> Catalogue:
    """The catalogue beside ``mkdocs.yml`` (``spec/``), else the one shipped with capifsec."""
    spec = Path(config.config_file_path).parent / "spec"
    try:
        return load_catalogue(spec if spec.is_dir() else None)
    except CatalogueError as problem:
        raise PluginError(f"capifsec catalogue: {problem}") from None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Append one results page per profile to the nav's results section."""
    for entry in config.nav or []:
        if isinstance(entry, dict) and isinstance(entry.get(RESULTS_SECTION), list):
            entry[RESULTS_SECTION].extend(results_nav(_catalogue(config)))
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add every generated page that ``docs/generated/`` does not hold."""
    for path, content in site_pages(_catalogue(config)).items():
        uri = f"{GENERATED}/{path}"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=content))
    return files
