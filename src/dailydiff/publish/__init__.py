"""Publishing reports: files, GitHub (Contents API, issues), chat webhooks and email.

The seam is ``Publisher.publish(report, rendered) -> PublishResult``; ``registry.PUBLISHERS`` maps each
``[[publish]]`` ``type`` to its implementation. Import from the submodules (``registry``, ``base``…):
this package's ``__init__`` stays empty so that ``config`` can import ``publish.options`` cheaply.
"""
