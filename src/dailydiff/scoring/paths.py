"""What a changed path is: pure rules shared by the sources (flags), scoring, budgeting and analysis."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from pathlib import PurePosixPath

from dailydiff.common.lazyre import lazy_compile


class PathKind(StrEnum):
    SOURCE = "source"
    TEST = "test"
    DOCS = "docs"
    CI = "ci"
    BUILD = "build"
    DEPENDENCY = "dependency"
    CONFIG = "config"
    GENERATED = "generated"  # lockfiles, generated, vendored and minified files
    ASSET = "asset"


LOCKFILES = {
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "pipfile.lock", "uv.lock",
    "cargo.lock", "go.sum", "composer.lock", "gemfile.lock", "pdm.lock", "bun.lockb", "flake.lock",
    "mix.lock", "packages.lock.json", "podfile.lock", "pubspec.lock",
}  # fmt: skip
DEPENDENCY_FILES = {
    "requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "package.json", "cargo.toml",
    "go.mod", "gemfile", "pipfile", "environment.yml", "build.gradle", "pom.xml", "composer.json",
    "conanfile.txt", "vcpkg.json",
}  # fmt: skip
BUILD_FILES = {
    "makefile", "cmakelists.txt", "dockerfile", "meson.build", "build.bazel", "workspace", "build",
    "justfile", "tox.ini", "noxfile.py", "setup.py", "manifest.in", "build.rs", "sconstruct",
    "version.txt", "version", "_version.py",
}  # fmt: skip
DOC_EXTENSIONS = {".md", ".rst", ".adoc", ".txt", ".ipynb", ".mdx"}
SOURCE_EXTENSIONS = {
    ".py", ".pyx", ".pyi", ".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".cu", ".cuh", ".rs", ".go",
    ".java", ".kt", ".scala", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".rb", ".php", ".cs",
    ".swift", ".m", ".mm", ".lua", ".jl", ".zig", ".triton", ".metal", ".hip", ".sh", ".sql", ".vue",
    ".svelte", ".ex", ".exs", ".erl", ".hs", ".ml", ".dart", ".r", ".pl", ".proto", ".mlir", ".td",
}  # fmt: skip
CONFIG_EXTENSIONS = {".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".json", ".env", ".properties"}
ASSET_EXTENSIONS = {
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".pdf", ".woff", ".woff2", ".ttf",
    ".mp4", ".mp3", ".wav", ".zip", ".gz", ".tar", ".bin", ".pt", ".safetensors", ".onnx", ".so",
}  # fmt: skip

_VENDOR_RE = lazy_compile(
    r"(^|/)(vendor|vendored|third_party|thirdparty|3rdparty|node_modules|external/[^/]+)/"
)
_GENERATED_RE = lazy_compile(
    r"(\.min\.(js|css)$|\.pb\.go$|_pb2(_grpc)?\.pyi?$|\.pb\.(h|cc)$|\.generated\.|(^|/)generated/|\.g\.dart$|"
    r"\.snap$|(^|/)dist/|\.map$)"
)
_TEST_RE = lazy_compile(
    r"(^|/)(tests?|testing|spec|__tests__|benchmarks?|e2e)(/|$)|(^|/)test_[^/]*$|_test\.[a-z]+$|\.test\.[jt]sx?$|\.spec\.[jt]sx?$|(^|/)conftest\.py$"
)
_DOCS_RE = lazy_compile(
    r"(^|/)(docs?|documentation|examples?)(/|$)|(^|/)(readme|changelog|contributing|license|codeowners|authors|notice)(\.[a-z]+)?$",
    re.I,
)
_CI_RE = lazy_compile(
    r"(^|/)(\.github|\.gitlab|\.circleci|\.buildkite|\.ci|ci|\.jenkins)(/|$)|(^|/)(\.gitlab-ci\.yml|jenkinsfile|\.travis\.yml|azure-pipelines\.yml|\.pre-commit-config\.yaml|codecov\.yml)$",
    re.I,
)
_BUILD_DIR_RE = lazy_compile(r"(^|/)(docker|scripts|tools|hack|cmake|packaging)(/|$)", re.I)


# The kinds of path, the first that holds wins: (kind, test of the lower-cased path, its name and suffix).
_KIND_TESTS: tuple[tuple[PathKind, Callable[[str, str, str], object]], ...] = (
    (PathKind.GENERATED, lambda p, name, _: name in LOCKFILES or _VENDOR_RE.search(p) or _GENERATED_RE.search(p)),
    (PathKind.CI, lambda p, _, __: _CI_RE.search(p)),
    (PathKind.DEPENDENCY, lambda _, name, suffix: name in DEPENDENCY_FILES
     or (name.startswith("requirements") and suffix in {".txt", ".in"})),
    (PathKind.TEST, lambda p, _, __: _TEST_RE.search(p)),
    (PathKind.BUILD, lambda p, name, suffix: name in BUILD_FILES or name.startswith("dockerfile")
     or _BUILD_DIR_RE.search(p) or suffix == ".cmake"),
    (PathKind.DOCS, lambda p, _, suffix: _DOCS_RE.search(p) or suffix in DOC_EXTENSIONS),
    (PathKind.ASSET, lambda _, __, suffix: suffix in ASSET_EXTENSIONS),
    (PathKind.SOURCE, lambda _, __, suffix: suffix in SOURCE_EXTENSIONS),
    (PathKind.CONFIG, lambda _, name, suffix: suffix in CONFIG_EXTENSIONS or name.startswith(".")),
)  # fmt: skip


@lru_cache(maxsize=65536)
def classify(path: str) -> PathKind:
    lowered = path.lower()
    name = PurePosixPath(lowered).name
    suffix = PurePosixPath(name).suffix
    found = next((kind for kind, test in _KIND_TESTS if test(lowered, name, suffix)), None)
    if found is not None:
        return found
    return PathKind.SOURCE if "." not in name else PathKind.CONFIG


def is_generated(path: str) -> bool:
    return classify(path) is PathKind.GENERATED


_WRAPPERS = {"src", "python", "lib", "pkg", "packages", "crates", "internal", "source"}


def module_of(path: str, depth: int = 3) -> str:
    """The area a path belongs to, for impact scopes: its first directories, leaving out wrappers such
    as ``src/``, ``python/`` and ``crates/``; a file at the top level is its own area."""
    directories = [p for p in PurePosixPath(path).parts[:-1] if p not in _WRAPPERS]
    if not directories:
        return path
    return "/".join(directories[:depth])
