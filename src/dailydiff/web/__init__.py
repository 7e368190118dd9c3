"""A small ASGI app over the store: the site's pages, re-rendered when reports change, and a JSON API."""

from dailydiff.web.app import SiteCache, create_app

__all__ = ["SiteCache", "create_app"]
