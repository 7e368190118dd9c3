from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
pytest_plugins = ["pgserver"]  # the real PostgreSQL server fixtures (pg_server, pg_url)
