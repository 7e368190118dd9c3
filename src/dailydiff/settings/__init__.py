"""Typed settings, built once at the entry point and passed down.

Layers, lowest first: the packaged ``defaults.toml`` < the user's TOML file < ``DAILYDIFF_*``
environment variables < command-line flags. Unknown keys and wrong types are errors that name the key.

The package is the settings' one import, a light facade over its modules: settings/loading.py builds them
from the layers, settings/sections.py holds the store's and the search's sections and :class:`ReadSettings`
(the model of a command that only reads the store), settings/whole.py holds :class:`Settings` and the
sections only it reads, imported at their first use (with the publishers', runs' and watches' models of
settings/publishers.py, ops.py and notes.py): `search` never loads them, and loads the sections' models only
to validate (read back, its settings are plain values).
"""

from typing import TYPE_CHECKING

from dailydiff.common.lazynames import lazy_names
from dailydiff.settings.loading import DEFAULT_CONFIG_NAME as DEFAULT_CONFIG_NAME
from dailydiff.settings.loading import ENV_PREFIX as ENV_PREFIX
from dailydiff.settings.loading import GITHUB_TOKEN_ENVS as GITHUB_TOKEN_ENVS
from dailydiff.settings.loading import GITLAB_TOKEN_ENVS as GITLAB_TOKEN_ENVS
from dailydiff.settings.loading import OTHER_ENVS as OTHER_ENVS
from dailydiff.settings.loading import RESPELT as RESPELT
from dailydiff.settings.loading import L as L
from dailydiff.settings.loading import defaults_text as defaults_text
from dailydiff.settings.loading import load_model as load_model
from dailydiff.settings.loading import load_settings as load_settings
from dailydiff.settings.loading import named_secrets as named_secrets
from dailydiff.settings.loading import no_pydantic_plugins as no_pydantic_plugins
from dailydiff.settings.loading import register_secrets as register_secrets
from dailydiff.settings.loading import unknown_environment as unknown_environment

if TYPE_CHECKING:
    from dailydiff.settings.evaluation import EvalEndpoint as EvalEndpoint
    from dailydiff.settings.evaluation import EvalSettings as EvalSettings
    from dailydiff.settings.notes import NotesSettings as NotesSettings
    from dailydiff.settings.ops import DigestEntry as DigestEntry
    from dailydiff.settings.ops import RepoEntry as RepoEntry
    from dailydiff.settings.ops import RunSettings as RunSettings
    from dailydiff.settings.ops import WatchTopic as WatchTopic
    from dailydiff.settings.ops import WeeklySettings as WeeklySettings
    from dailydiff.settings.publishers import EnvName as EnvName
    from dailydiff.settings.publishers import PublishEntry as PublishEntry
    from dailydiff.settings.sections import HasStore as HasStore
    from dailydiff.settings.sections import ReadSettings as ReadSettings
    from dailydiff.settings.sections import SearchSettings as SearchSettings
    from dailydiff.settings.sections import StoreSettings as StoreSettings
    from dailydiff.settings.sections import gitlab_project as gitlab_project
    from dailydiff.settings.whole import AnalysisSettings as AnalysisSettings
    from dailydiff.settings.whole import ForgeSettings as ForgeSettings
    from dailydiff.settings.whole import GitHubSettings as GitHubSettings
    from dailydiff.settings.whole import GitLabSettings as GitLabSettings
    from dailydiff.settings.whole import GitSettings as GitSettings
    from dailydiff.settings.whole import LLMSettings as LLMSettings
    from dailydiff.settings.whole import ModelProfile as ModelProfile
    from dailydiff.settings.whole import ReportSettings as ReportSettings
    from dailydiff.settings.whole import ScoringSettings as ScoringSettings
    from dailydiff.settings.whole import ServeSettings as ServeSettings
    from dailydiff.settings.whole import Settings as Settings
    from dailydiff.settings.whole import SiteSettings as SiteSettings

# The names imported at their first use, by the module that holds each (a table: one line a module).
_LAZY = {
    "dailydiff.settings.sections": ("HasStore", "ReadSettings", "SearchSettings", "StoreSettings", "gitlab_project"),
    "dailydiff.settings.whole": ("Settings", "ReportSettings", "GitSettings", "ForgeSettings", "GitHubSettings",
                                 "GitLabSettings", "AnalysisSettings", "ScoringSettings", "ModelProfile",
                                 "LLMSettings", "SiteSettings", "ServeSettings"),
    "dailydiff.settings.ops": ("DigestEntry", "RepoEntry", "RunSettings", "WatchTopic", "WeeklySettings"),
    "dailydiff.settings.notes": ("NotesSettings",),
    "dailydiff.settings.evaluation": ("EvalSettings", "EvalEndpoint"),
    "dailydiff.settings.publishers": ("EnvName", "PublishEntry"),
}  # fmt: skip
# The models, imported at their first use (PEP 562): the commands that only read the store (`search`,
# `ask --no-llm`) never load the publishers', runs' and watches' models.
__getattr__ = lazy_names(__name__, _LAZY, globals())
