"""The static site: which pages exist, where they go, and writing them.

``Site.from_reports`` lays the reports out (one page per repository-day, one per repository and ISO week
with stored days (its weekly digest), one per repository, the index, the search page and its index, Atom
feeds, the daily digests and their feed); ``Site.pages()`` maps every relative path to a function that
renders it, which the static build writes out and ``dailydiff serve`` calls on request.

``build_from_store`` (`site build`) and ``make_site`` (`serve`) lay it out from the store's rows: a row this
version cannot read gets a page that says so, and every other page is built as usual.
"""

from dailydiff.site.build import (
    DayRecord,
    Watermark,
    build_from_store,
    make_site,
    read_rows,
    stored_digests,
)
from dailydiff.site.model import (
    DAYS,
    MANIFEST,
    SOURCE,
    DayPage,
    DaySummary,
    DayTexts,
    RepoSection,
    StoredDay,
    Unreadable,
    WeekPage,
    relative,
)
from dailydiff.site.pages import Site, digest_page
from dailydiff.site.write import BuildResult, build_site, default_jobs

__all__ = [
    "DAYS",
    "MANIFEST",
    "SOURCE",
    "BuildResult",
    "DayPage",
    "DayRecord",
    "DaySummary",
    "DayTexts",
    "RepoSection",
    "Site",
    "StoredDay",
    "Unreadable",
    "Watermark",
    "WeekPage",
    "build_from_store",
    "build_site",
    "default_jobs",
    "digest_page",
    "make_site",
    "read_rows",
    "relative",
    "stored_digests",
]
