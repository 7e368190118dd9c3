"""Publishing: files, GitHub (Contents API, issues), chat webhooks (Microsoft Teams included) and email.

The seam is ``Publisher.send(edition) -> PublishResult`` (an edition: render/edition.py);
``registry.PUBLISHERS`` maps each ``[[publish]]`` ``type`` to its implementation. Import from the
submodules (``registry``, ``base``…): this package's ``__init__`` stays empty so that ``config`` can
import ``publish.options`` cheaply.
"""
