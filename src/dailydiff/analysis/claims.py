"""Claims traced: what a model wrote, held against what it was shown (pure functions over text).

A claim is what a reader takes as fact and a diff can prove: a path or a file name, a code identifier, a
flag or an environment variable, a version, a pull-request / issue / commit reference, a number with a
quantity. ``claims.toml`` is the table of kinds (their patterns, how each is matched, the words that are
not claims); this module reads it in one pass and looks each claim up in the ``Evidence``: exactly what the
model was shown (the commit message, the pull request, the diff blocks as sent, the files it was told it
does not see, the header figures; for a summary of analyses, those analyses).

``ground`` applies ``[analysis] grounding`` to an analysis once its claims are traced: a sentence that
still carries an unsupported claim is removed (``repair``, after the model was asked once to rewrite) or
marked (``mark``); what was removed and why is kept in the analysis's ``grounding`` (the store has it;
``report --claims SHA`` prints it), never in what is published.
"""

from __future__ import annotations

import bisect
import collections
import functools
import itertools
import logging
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TypeVar

from dailydiff.common.lazyre import lazy_compile
from dailydiff.common.packaged import toml
from dailydiff.models import Analysis, Commit, Grounding, GroundingStats, Insights, TracedClaim

log = logging.getLogger("dailydiff.claims")
K = TypeVar("K")
ANALYSIS_FIELDS = ("importance_reason", "summary", "impact", "insights", "risks", "recommendations")
MARK = {"en": "⚠️ not found in the diff: {claims}", "zh": "⚠️ diff 中未见：{claims}"}
EMPTIED = {"en": "(removed: not found in the diff)", "zh": "（已删去：diff 中未见）"}


@dataclass(frozen=True)
class _Kind:
    name: str
    pattern: re.Pattern[str]
    group: int
    match: str
    units: tuple[str, ...] = ()
    min_value: float = 0.0
    needs: re.Pattern[str] | None = None  # a text without it cannot hold the kind: its pattern is not run
    forms: tuple[str, ...] = ()  # other ways the evidence writes the claim ({n}: the claim), any letter case
    near: tuple[tuple[str, tuple[str, ...]], ...] = ()  # a unit, and the patterns that give a number it
    endings: tuple[str, ...] = ()  # a name written inflected as a word: the name without them is found
    singular: tuple[str, ...] = ()  # a plural name written singular: the name with them is found
    in_bytes: tuple[tuple[str, tuple[int, ...]], ...] = ()  # a unit of size, and its bytes
    units_any_case: bool = False  # "99kb" is 99 KB
    word: bool = False  # a claim of it is one word that holds its needs: only such words are read


@dataclass(frozen=True)
class _Rules:
    kinds: tuple[_Kind, ...]
    not_claims: frozenset[str]
    placeholders: frozenset[str]
    inside: tuple[str, ...]  # placeholders for a part of a name (`cuXXX`)
    slot: str  # what such a placeholder stands for
    placeholder_names: re.Pattern[str]  # a name that is a placeholder (`SomeLayoutType`): no claim
    angled: re.Pattern[str]  # a part written as a placeholder in angle brackets (`<output_dir>`)
    columns: tuple[tuple[re.Pattern[str], str], ...]  # a table header's words, and the unit of its cells
    # a claim, how the evidence writes it, whether as a part of a longer name in any letter case, and whether
    # every form must be shown (else one)
    spellings: tuple[tuple[re.Pattern[str], tuple[str, ...], bool, bool], ...]
    commands: frozenset[str]
    misspelt: int  # the shortest name a slip of the pen is forgiven in
    short: dict[str, tuple[str, ...]]  # a word of a name written short, and its long forms' words
    file_style: tuple[str, int]  # what parts a file name's words, the shortest stem to read so
    test_modules: tuple[str, ...]  # how a test module's name starts: one named without its `.py` is its file
    special_methods: dict[str, str]  # a special method, and the builtin that calls it (`__repr__`: `repr`)
    # a formula's functions of mathematics, a kernel's prefixes of a name, the letters that index a name
    formula: tuple[frozenset[str], tuple[str, ...], frozenset[str]]
    glued: tuple[re.Pattern[str], ...]  # a name the evidence glues to other text, as group 1
    # a word of a list inflected: its endings, and a noun's ending with its verb's
    list_words: tuple[tuple[str, ...], tuple[tuple[str, str], ...]]


@functools.cache
def _rules() -> _Rules:
    data = toml("analysis/claims.toml")
    kinds = tuple(
        _Kind(
            row["name"],
            lazy_compile(row["pattern"], re.ASCII),  # compiled for the first text holding its needs
            row["group"],
            row["match"],
            tuple(row.get("units", ())),
            float(row.get("min_value", 0)),
            re.compile(row["needs"]) if row.get("needs") else None,
            tuple(row.get("forms", ())),
            tuple((unit, tuple(patterns)) for unit, patterns in row.get("near", {}).items()),
            tuple(row.get("endings", ())),
            tuple(row.get("singular", ())),
            tuple((unit, tuple(bytes_)) for unit, bytes_ in row.get("in_bytes", {}).items()),
            row.get("units_any_case", False),
            row.get("word", False),
        )
        for row in data["kind"]
    )
    return _Rules(
        kinds,
        frozenset(w.lower() for w in data["not_claims"]["words"]),
        frozenset(data["placeholders"]["words"]),
        tuple(data["placeholders"]["inside"]),
        data["placeholders"]["slot"],
        re.compile(data["placeholders"]["names"], re.ASCII),
        lazy_compile(data["placeholders"]["angled"], re.ASCII),
        tuple((lazy_compile(row["header"], re.ASCII), row["unit"]) for row in data["column"]),
        tuple(
            (
                lazy_compile(row["claim"], re.ASCII),
                tuple(row["shown"]),
                row.get("part", False),
                row.get("all", False),
            )
            for row in data["spelling"]
        ),
        frozenset(data["commands"]["words"]),
        data["misspelt"]["min_length"],
        {word: tuple(longs) for word, longs in data["short"].items()},
        (data["file_style"]["separators"], data["file_style"]["min_length"]),
        tuple(data["file_style"]["test_modules"]),
        data["special_methods"],
        (
            frozenset(data["formula"]["functions"]),
            tuple(data["formula"]["prefixes"]),
            frozenset(data["formula"]["indices"]),
        ),
        tuple(lazy_compile(p, re.ASCII) for p in data["glued"]["patterns"]),
        (tuple(data["list_words"]["endings"]), tuple(data["list_words"]["verbs"].items())),
    )


# evidence ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One part of what the model was shown: ``label`` is where a claim found in it is said to be
    ("message", "pull request", "diff", "unseen files", "header", "analyses"); a diff block has its path."""

    label: str
    text: str
    path: str = ""


class Evidence:
    """What the model was shown, searchable: the sections joined once (a claim is looked up in the whole
    text first, at the speed of ``str.find``; where it was found is worked out only for ``--claims``). Each
    view of it (the text, its figures, its tables' cells …) is built at its first use: an analysis with no
    claim, or none of a kind, costs none of it."""

    def __init__(
        self, sections: Iterable[Section], figures: Iterable[int] | Callable[[], Iterable[int]] = ()
    ) -> None:
        self.sections = tuple(s for s in sections if s.text)
        self._figures = figures

    @functools.cached_property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)

    @functools.cached_property
    def added_up(self) -> frozenset[str]:
        """Counts the diff shows by adding up: lines and files of a folder, of a kind of path, in all."""
        return frozenset(map(str, self._figures() if callable(self._figures) else self._figures))

    @functools.cached_property
    def figures(self) -> frozenset[str]:
        """The counts added up, and the lines each hunk as shown adds and removes ("约 290 行" for a new
        function's 293)."""
        counts = []
        for text in (s.text for s in self.sections if s.label == "diff"):
            starts = [m.start() for m in _HUNK_START.finditer(text)]
            for start, end in itertools.pairwise([*starts, len(text)] if starts else []):
                counts += [text.count("\n+", start, end), text.count("\n-", start, end)]
        return self.added_up | frozenset(map(str, counts))

    @functools.cached_property
    def folded(self) -> str:
        """Letter for letter: a place in it is the same place in the text."""
        return "İ".join(part.lower() for part in self.text.split("İ"))  # the one letter lowered to two

    @functools.cached_property
    def words(self) -> str:
        """Every name and word of prose, in order, in lower case, each as its letters and digits (its `_`s aside, a
        member's `m` or a constant's `k` apart); between two names "|" where a space, ".", "::" or a "-" outside a
        path parts them (they may be read as one), else "#": `Boost::math` is "| boost | math #", `kRoPELlama(x)`
        "| k ropellama # x #", `nixl_ep/handle` "| nixlep # handle #"."""
        parts, end = [], 0
        # "top-k" as "top k", a link's words too (`…/use-weights-only-true-by-default`)
        text = _HYPHENED.sub(_unhyphened, _LINK.sub(_unhyphened, self.text))
        for m in _NAMES.finditer(text):
            gap, name = text[end : m.start()], m.group()
            name = f"{name[0]} {name[1:]}" if _PREFIXED.match(name) else name
            parts += ["|" if not gap.strip() or gap in (".", "::") else "#", name]
            end = m.end()
        return f"{' '.join(parts).replace('_', '').lower()} #"

    @functools.cached_property
    def parts(self) -> str:
        """Every name its `_`s part, in order, as its words in lower case, the names parted by "|":
        `tma_load_V_new` is "| tma load v new |"."""
        names = (
            " ".join(_SPLIT.findall(m.group())) for m in _NAMES.finditer(self.text) if "_" in m.group()[1:-1]
        )
        return f"| {' | '.join(names).lower()} |"

    @functools.cached_property
    def decimals(self) -> list[tuple[str, str]]:
        """Each number with a decimal part the evidence shows, with the few characters after it."""
        text = self.text + "\n" + self.cells
        return [(m.group(), text[m.end() : m.end() + 9]) for m in _DECIMAL.finditer(text)]

    @functools.cached_property
    def cells(self) -> str:
        """The numbers of the tables it shows, each with the unit its column's header gives (`claims.toml`'s
        `column`), one a line: "87.0 us" for 87.0 under "| Optimized, us |"."""
        found, units = [], None
        for line in _HEADER_GAP.sub(r"\1\n", self.text).split("\n"):
            row, rule = _ROW.match(line), _RULE.match(line)
            if row is None or rule:
                units = units if rule else None  # a rule goes on with the table; any other line ends it
                continue
            cells = [cell.strip() for cell in row.group(1).split("|")]
            if units is None:
                units = [_column_unit(cell) for cell in cells]
                continue
            found += [f"{c} {u}" for c, u in zip(cells, units, strict=False) if u and _CELL.fullmatch(c)]
        # a value whose key gives its unit in brackets (a training log's `'memory(GiB)': 58.02`)
        found += [f"{m[2]} {m[1]}" for m in _KEYED.finditer(self.text)]
        return "\n".join(
            found + _printed_cells(self.text) + _csv_cells(self.text) + _times_in_parts(self.text)
        )

    @functools.cached_property
    def expanded(self) -> str:
        """The names the evidence writes in a short form, written out: a brace list (`moe_gemm_{fp8,mxfp8}_nt` is
        `moe_gemm_fp8_nt` and `moe_gemm_mxfp8_nt`), short parts joined by "/" (`get_k/v_ptr`,
        `--enable-k8s/mongo/redis-job`), numbers joined by "/" after a name's letters (`sm90/100/110`), a format
        string's template (`{qk_str}_{pv_str}_{out_str}` builds `qk_pv_out`), a name's part in braces after its `_` (an
        f-string's slot by its name, `f"input_{i}"`: `input_i`; a formula's subscript, `mask_{0}`: `mask_0`), a name's
        optional capital in parentheses ("Adam(W)": `AdamW`) or a regular expression's optional part (`acc(?:_norm)?`:
        `acc_norm`), a string's Unicode escape glued to the word after it (`\\u202Fhere`: `u202F`), two string literals
        side by side joined (`"…MultiheadAttention" "The …"`: `MultiheadAttentionThe`), an f-string's slot
        filled with the string its name is set to (`f"{self.prefix}_{epoch}"` and `self.prefix = "dist_epoch"`:
        `dist_epoch_{epoch}`), either string of a conditional (`prefix = "tanh_softcap_approx" if approx else
        "tanh_softcap"`), a name code puts together by adding strings (``_concatenated``), a name glued to other
        text (`claims.toml`'s `glued`: `tensor<10x80xf4E2M1FN>`)."""
        names = [
            m.group(1) + choice.strip() + m.group(3)
            for m in _BRACES.finditer(self.text)
            for choice in m.group(2).split(",")
        ]
        names += [
            "_".join(part.split("_")[0] for part in _SLOT.findall(m.group()))
            for m in _TEMPLATE.finditer(self.text)
        ]
        names += ["".join(m) for m in _SUBSCRIPT.findall(self.text)]  # f"input_{i}" is `input_i`
        names += _UNICODE_ESCAPE.findall(self.text)  # `\u202F` glued to a word ("text\u202Fhere")
        names += ["".join(m) for m in _ADJACENT.findall(self.text)]  # "…Attention" "The …" is `AttentionThe`
        names += ["".join(m) for m in _OPTIONAL.findall(self.text)]  # "Adam(W)" is `AdamW`
        names += ["".join(m) for m in _REGEX_OPTIONAL.findall(self.text)]  # r"acc(?:_norm)?" is `acc_norm`
        names += [  # `get_k/v_ptr` is `get_k_ptr` and `get_v_ptr`
            (m.group(1) or "") + choice + (m.group(3) or "")
            for m in _SLASHED.finditer(self.text)
            if m.group(1) or m.group(3)
            for choice in m.group(2).split("/")
        ]
        names += [  # `sm90/100/110` is `sm90`, `sm100` and `sm110`
            m.group(1) + number for m in _NUMBERED.finditer(self.text) for number in m.group(2).split("/")
        ]
        sets = _STRING_SET.findall(self.text)
        values = {name: value for name, value, _ in sets}
        others = {name: other for name, _, other in sets if other}  # a conditional's other string
        for chosen in ((values, {**values, **others}) if others else (values,)) if values else ():
            fill = functools.partial(_NAMED_SLOT.sub, functools.partial(_slot_value, values=chosen))
            names += [filled for m in _FSTRING.finditer(self.text) if (filled := fill(m[1])) != m[1]]
        names += [m[1] for glued in _rules().glued for m in glued.finditer(self.text)]
        return "\n".join(names + _passed(self.text) + _concatenated(self.text, values))

    @functools.cached_property
    def products(self) -> frozenset[int]:
        """The values of the products of numbers the evidence writes (`1024 * 1024`, `80 * (10**9)`, `32 * (1 << 20)`),
        a whole product only: none a name or another operator multiplies or divides (`n * 1024`, `1024 * 1024 / 4`);
        and the numbers code writes with their digits grouped by `_` (`12_000_000`), in hexadecimal (`0x00800000`), as
        a shift (`1 << 26`) or as a power (`1024**3`)."""
        shifts = [int(m[1]) << int(m[2]) for m in _SHIFT.finditer(self.text) if int(m[2]) < 64]
        text = _SHIFT.sub(lambda m: str(int(m[1]) << int(m[2])) if int(m[2]) < 64 else m[0], self.text)
        products = (
            math.prod(
                int(base) ** int(power or 1) for base, power in re.findall(r"(\d+)(?:\*\*(\d+))?", m.group())
            )
            for m in _PRODUCT.finditer(text)
            if text[max(0, m.start() - 4) : m.start()].rstrip()[-1:] not in _FACTOR
        )
        grouped = (int(m.group().replace("_", "")) for m in _GROUPED.finditer(text))
        powers = (
            int(m[1]) ** int(m[2])
            for m in _POWERED.finditer(text)  # alone: not a factor in brackets (`80 * (10**9)`)
            if int(m[2]) < 64 and text[max(0, m.start() - 4) : m.start()].rstrip(" \t(")[-1:] not in _FACTOR
        )
        return frozenset(
            [*products, *grouped, *shifts, *powers, *(int(m.group(), 16) for m in _HEX.finditer(text))]
        )

    @functools.cached_property
    def cut_names(self) -> frozenset[str]:
        """The names git cut at the end of a hunk header (it keeps 80 bytes of the function's line): a name that
        starts so may be the whole one (`BatchMLAPageAttentionKer` is `BatchMLAPageAttentionKernel`); a short one
        (`mha_b`) only when no name the evidence writes starts so (`num_fr` may be `num_frags_x`'s)."""
        return frozenset(
            cut
            for m in _HUNK_CUT.finditer(self.text)
            if len(m.group(1).encode()) == 80
            and len(cut := m.group(2)) >= 5
            and (len(cut) >= 8 or not re.search(rf"(?<!\w){re.escape(cut)}\w", self.text))
        )

    @functools.cached_property
    def spaced(self) -> str:
        """The text with each run of spaces, tabs and line breaks as one space (a quoted line's form)."""
        return " ".join(self.text.split())

    def where(self, needle: str, *, folded: bool = False) -> str:
        """Where ``needle`` (as found) is first shown: ``diff path:line``, ``message``, …"""
        for section in self.sections:
            text = section.text.lower() if folded else section.text
            at = _find_word(text, needle.lower() if folded else needle)
            if at < 0:
                continue
            if section.path:
                first = section.text.find("\n")
                if first < 0 or at < first:  # the block's header: the file itself
                    return f"diff {section.path}"
                return f"diff {section.path}:{_diff_line(section.text, at)}"
            return section.label
        return "evidence"


def figures(commit: Commit, shown: Iterable[str] = ()) -> set[int]:
    """The counts a reader of the diff gets by adding up: files, added, deleted and changed lines of the
    commit, of each folder and each file, and of each kind of path (source, tests, docs …); the same of the
    files a prompt shows (``shown``: their paths), all and by folder, as one who reads only them adds up (two
    files' 995 and 631 deleted lines: "roughly 1,600 lines"), and of the files it does not show, as the header's
    figures less the shown ones' (−97 in all, −12 shown: "the two files left out lose 85 lines"); the header's
    net change (+7/−18: "11 lines fewer")."""
    from dailydiff.scoring.rules import profile_paths

    found = {commit.stats.files, commit.stats.additions, commit.stats.deletions,
             commit.stats.additions + commit.stats.deletions,
             abs(commit.stats.additions - commit.stats.deletions)}  # fmt: skip
    paths = set(shown)
    seen = [f for f in commit.files if f.path in paths] if paths else []
    unseen = [f for f in commit.files if f.path not in paths] if paths else []
    for files in (commit.files, seen, unseen):
        sums: dict[str, list[int]] = {}
        for f in files:
            parts = f.path.split("/")
            for depth in range(len(parts) + 1):
                entry = sums.setdefault("/".join(parts[:depth]), [0, 0, 0])
                entry[0] += 1
                entry[1] += f.additions
                entry[2] += f.deletions
        for n, a, d in sums.values():
            found |= {n, a, d, a + d}
    profile = profile_paths(commit)
    found |= set(profile.lines.values()) | set(profile.files.values()) | {profile.meaningful_lines}
    return found


def commit_evidence(commit: Commit) -> Evidence:
    """A commit as a whole (what the rules analyser reads): its message, its pull request, every patch."""
    stats = commit.stats
    header = f"{commit.repo} {commit.sha}\n{stats.files} files, +{stats.additions}/-{stats.deletions}"
    sections = [Section("header", header), Section("message", commit.message)]
    if commit.pr is not None:
        pr = commit.pr
        sections.append(
            Section("pull request", f"#{pr.number} {pr.title}\n{', '.join(pr.labels)}\n{pr.body}")
        )
    for f in commit.files:
        head = f"{f.previous_path} → {f.path}" if f.previous_path else f.path
        sections.append(
            Section("diff", f"{head} +{f.additions}/-{f.deletions}\n{f.patch or ''}", path=f.path)
        )
    return Evidence(sections, lambda: figures(commit))  # added up only for a count to look up


def analyses_evidence(lines: Iterable[str], *, label: str = "analyses") -> Evidence:
    """For a summary of analyses (an overview, a week, release notes): the analyses and titles it read."""
    return Evidence([Section(label, "\n".join(lines))])


# finding -----------------------------------------------------------------------------------------

_DECIMAL = lazy_compile(r"(?<![\w.])\d+\.\d+")
_HUNK_START = lazy_compile(r"^@@ ", re.MULTILINE)
_KEYED = lazy_compile(r"\w\(([A-Za-zμ]+)\)[\x27\"]?\s*[:=]\s*(\d+(?:\.\d+)?)(?![\w.])")
_POWER = r"(?:\(\d+(?:\*\*\d+)?\)|\d+(?:\*\*\d+)?)"  # a factor: a number, or a power (`10**9`)
_SHIFT = lazy_compile(r"(?<![\w.<])(\d+)[ \t]*<<[ \t]*(\d+)(?![\w.])")  # `1 << 20`
_POWERED = lazy_compile(r"(?<![\w.*])(\d+)[ \t]*\*\*[ \t]*(\d+)(?![\w.]|\)?[ \t]*[*/%])")  # `1024**3` alone
_PRODUCT = lazy_compile(rf"(?<![\w.*]){_POWER}(?:[ \t]*\*[ \t]*{_POWER})+(?![\w.]|[ \t]*[*/%])")
_GROUPED = lazy_compile(r"(?<![\w.])\d{1,3}(?:_\d{3})+(?![\w.])")
_FACTOR = frozenset("*/%")  # an operator before a product: it is a factor of a longer one
_ROW = lazy_compile(r"[+ -]?\s*\|(.*)\|\s*$")  # a table's row (in a diff: with its + or -)
_RULE = lazy_compile(r"[+ -]?\s*[|+][-:=+| ]*-[-:=+| ]*$")  # a table's rule: |---|---| or +----+----+
_CELL = lazy_compile(r"(?:[≤≥<>~]=?\s?)?\d[\d,]*(?:\.\d+)?")  # a bound too ("≤ 4")
_HUNK_CUT = lazy_compile(r"^[+ -]?@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ (.*?(\w+))$", re.MULTILINE | re.ASCII)
# a table's header, a blank line, its rule: the blank line does not end the table (a message reflowed)
_HEADER_GAP = lazy_compile(r"^([+ -]?\s*\|.*\|[ \t]*)\n[ \t]*\n(?=[+ -]?\s*\|[-:| ]*-)", re.MULTILINE)


def _printed_cells(text: str) -> list[str]:
    """The numbers of the tables a program printed, aligned with spaces ("Tokens     BW (GB/s)" over
    "1          86.53"), each with its column's unit; a row one cell longer starts with its index (a pandas
    frame's)."""
    found: list[str] = []
    units: list[str] | None = None
    for line in text.split("\n"):
        line = line[1:] if line[:1] in "+-" else line  # a diff's line
        cells = line.split()
        if units and cells and all(map(_CELL.fullmatch, cells)) and 0 <= len(cells) - len(units) <= 1:
            found += [f"{c} {u}" for c, u in zip(cells[len(cells) - len(units) :], units, strict=True) if u]
        elif not (units and _PRINTED_RULE.fullmatch(line)):  # a rule under the header goes on with the table
            heads = re.split(r"\s{2,}", line.strip())
            units = (
                [_column_unit(h) for h in heads] if len(heads) > 1 and not _CELL.fullmatch(heads[0]) else None
            )
    return found


_PRINTED_RULE = lazy_compile(r"\s*[-=]{3,}\s*")


def _csv_cells(text: str) -> list[str]:
    """The decimals of a CSV row that has a unit as one of its cells (a benchmark's "speed,ms,BT,…,25.977,…"), each
    with that unit."""
    found = []
    for line in text.split("\n"):
        line = line[1:] if line[:1] in "+-" else line  # a diff's line
        cells = [cell.strip() for cell in line.split(",")] if line.count(",") > 2 else ()
        if units := [c for c in cells if len(c) <= 6 and _column_unit(c) == c]:
            found += [f"{c} {units[0]}" for c in cells if _DECIMAL.fullmatch(c)]  # a measure, not an x's 1024
    return found


_TIME_IN_PARTS = lazy_compile(r"(?<![\w.])\d+ ?(?:ms|us|μs) (?:\d+ ?(?:us|μs|ns) ?)+(?![\w.])")
_TIME_PART = lazy_compile(r"(\d+) ?(ms|us|μs|ns)")
_TIME_EXPONENT = {"ms": -3, "us": -6, "μs": -6, "ns": -9}


def _times_in_parts(text: str) -> list[str]:
    """A time written in parts, as durations print ("1ms 955us 916ns"), as one decimal in its first part's unit
    ("1.955916 ms"): a time the text rounds ("1.96ms") is found from it."""
    found = []
    for m in _TIME_IN_PARTS.finditer(text):
        (number, unit), *rest = _TIME_PART.findall(m.group())
        scale = _TIME_EXPONENT[unit]
        value = Decimal(number) + sum(Decimal(n).scaleb(_TIME_EXPONENT[u] - scale) for n, u in rest)
        found.append(f"{value} {unit}")
    return found


def _column_unit(header: str) -> str:
    for words, unit in _rules().columns:
        if found := words.search(header):
            return unit or found.group()
    return ""


_BRACES = lazy_compile(r"(\w*)\{(\w+(?:,\s?\w+)+)\}(\w*)", re.ASCII)
_SLASHED = lazy_compile(  # `get_k/v_ptr`; a flag's `--enable-k8s/mongo/redis-job`
    r"(?<![\w/-])([\w-]*[_-])?([A-Za-z0-9]{1,5}(?:/[A-Za-z0-9]{1,5})+)([_-][\w-]+)?(?![\w/])", re.ASCII
)
# a claim's choices: `{128,256}`, a range `{1..7}`; not C++'s `d{mean, std}`
# a template's choices in braces, or a range of numbers, in braces or after a name's letters (`test_video_01..22.png`)
_CHOICES = lazy_compile(r"\{(\w+(?:,\w+)+|\d\d?\.\.\d\d?)\}|(?<=[A-Za-z_])(\d\d?\.\.\d\d?)(?!\d)", re.ASCII)
_NUMBERED = lazy_compile(r"(?<![\w/])([A-Za-z_]\w*?[A-Za-z_])(\d+(?:/\d+)+)(?![\w/])", re.ASCII)
_TEMPLATE = lazy_compile(r"\{[A-Za-z]\w*\}(?:_\{[A-Za-z]\w*\})+", re.ASCII)
_SLOT = lazy_compile(r"\{(\w+)\}", re.ASCII)
_STRING_SET = lazy_compile(  # `name = "value"`, C++'s `std::string name = "value";`, `name = "a" if c else "b"`
    r"^[+ -]?[ \t]*(?:(?:const[ \t]+)?std::string[ \t]+|self\.)?(\w+)[ \t]*(?::[^=\n]+)?=[ \t]*[\"']([\w./-]+)[\"']"
    r"(?:[ \t]+if[ \t][^\n]*?[ \t]else[ \t]+[\"']([\w./-]+)[\"'])?[,;]?[ \t]*$",
    re.M | re.A,
)
_FSTRING = lazy_compile(r"(?<![\w])r?f[\"']([^\"'\n]+)[\"']", re.ASCII)  # a raw one too (`rf"lib{lib}"`)
# a glob whose `*` is a part of a name (`RAY_EXPERIMENTAL_NOSET_*_VISIBLE_DEVICES`)
_GLOB = lazy_compile(r"(?<![\w*])\w*(?:_\*|\*_)[\w*]*", re.ASCII)
# a slot of a name: `{self._prefix}`'s `_prefix`, in capitals or small letters (`{PACKAGE_NAME.upper()}`)
_NAMED_SLOT = lazy_compile(r"\{(?:\w+\.)*(\w+)(?:\.(upper|lower)\(\))?\}", re.ASCII)
_ADJACENT = lazy_compile(r"(\w+)\"[ \t]*(?:\n[+ -]?[ \t]*)?\"(\w+)", re.ASCII)  # two literals, one string
_UNICODE_ESCAPE = lazy_compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})", re.ASCII)
_SUBSCRIPT = lazy_compile(r"(?<![\w{$])([A-Za-z]\w*_)\{(\w+)\}(\w*)", re.ASCII)  # `input_{i}`, `mask_{0}`
_OPTIONAL = lazy_compile(r"(?<![\w.])([A-Z][a-z]\w*)\(([A-Z])\)(?!\w)", re.ASCII)  # "Adam(W)"
_REGEX_OPTIONAL = lazy_compile(
    r"(?<![\w.])([A-Za-z_]\w*)\(\?:(\w+)\)\?", re.ASCII
)  # a regular expression's `acc(?:_norm)?`


# a term of a sum of strings: a string literal, a number's `to_string(x)` or `str(x)`, a name
_TERM_OF_SUM = r'"((?:[^"\\\n]|\\.)*)"|(?:std::)?(?:to_string|str)\((\w+)\)|([A-Za-z_]\w*)'
_CONCAT = lazy_compile(rf"(?:{_TERM_OF_SUM})(?:[ \t]*\+[ \t]*(?:{_TERM_OF_SUM}))+", re.ASCII)
_CONCAT_PART = lazy_compile(_TERM_OF_SUM, re.ASCII)


def _slot_value(slot: re.Match[str], values: dict[str, str]) -> str:
    """An f-string's slot filled with the string its name is set to, in the case the slot asks for
    (`f"{PACKAGE_NAME.upper()}_HOME"` and `PACKAGE_NAME = "quack"`: `QUACK_HOME`); else the slot as written."""
    value = values.get(slot[1])
    if value is None:
        return slot[0]
    return getattr(value, slot[2])() if slot[2] else value  # `str.upper` or `str.lower`


def _concatenated(text: str, values: dict[str, str]) -> list[str]:
    """The names code puts together by adding strings (`"case_" + std::to_string(idx)`, `prefix + str(i)`), as the
    model writes them: a number's slot by its name or its first letter (`case_idx`, `case_i`), a name by the
    string it is set to (`rule_prefix = "root_"`) or as itself (`rule_name + "_pp_" + …`: `rule_name_pp_i`)."""
    built = []
    for line in text.splitlines():
        if '" +' not in line and '+ "' not in line and "str(" not in line and "to_string(" not in line:
            continue
        for m in _CONCAT.finditer(line):
            parts = _CONCAT_PART.findall(m.group())
            strings = [bool(quoted) or name in values for quoted, _, name in parts]
            if not any(strings) or all(strings):
                continue
            for short in (False, True):
                built.append("".join(
                    quoted.replace("\\\\", "\\").replace('\\"', '"') if quoted
                    else (slot[0] if short else slot) if slot else values.get(name, name)
                    for quoted, slot, name in parts
                ))  # fmt: skip
    return built


def _passed(text: str) -> list[str]:
    """The names an f-string (or CMake's `${NAME}`) builds from a function's argument that a call passes as a
    literal, from a loop's name over a range or a literal tuple, or from a string code compares the name with: in
    `def gen(flags, arch)` `f"fp4_quantization_{arch}"`, called `gen(sm100_flags, "100")` (or as a method,
    `self.gen(…)`), builds `fp4_quantization_100`; `for nbit in range(1, 8)`, `f"_linear_{nbit}bit"` builds
    `_linear_1bit`; `for lib in ("ucp", "uct")`, `rf"…/lib{lib}-…"` builds `libucp`; `ops_${TARGET}` and `TARGET
    STREQUAL "aten"` build `ops_aten`, `f"{base_name}_scale"` and `base_name == "input"` `input_scale`."""
    slots = [slot for m in _FSTRING.finditer(text) for slot in _FSLOT.findall(m[1])]
    slots += _CMAKE_SLOT.findall(text)
    if not slots:
        return []
    params = {  # the longest a function is written (a hunk's header cuts it short: "@@ … @@ def gen() ->")
        func: [m.group(1) for p in re.sub(r"\[[^\[\]]*\]", "", names).split(",") if (m := _PARAM.match(p))]
        for func, names in sorted(_DEF.findall(text), key=lambda d: len(d[1]))
    }
    values: dict[str, set[str]] = {}
    for method, func, args in _CALL.findall(text):
        # a method called on `self`: its `self` is not passed
        named = params.get(func, [])[1 if method else 0 :]
        for n, arg in enumerate(args.split(",") if func in params else ()):
            name, _, value = arg.rpartition("=") if "=" in arg else ("", "", arg)
            name = name.partition(":")[0].strip() or (named[n] if n < len(named) else "")
            if literal := _LITERAL.fullmatch(value.strip()):
                values.setdefault(name, set()).add(literal.group(1) or literal.group(2))
    set_to = {name: value for name, value in _ASSIGNED.findall(text) if value.isdigit()}  # `max_opt_num = 10`
    for name, low, high in _LOOP.findall(text):  # `for nbit in range(1, 8)`, `for i in range(max_opt_num)`
        if (top := high if high.isdigit() else set_to.get(high)) is not None:
            values.setdefault(name, set()).update(
                map(str, range(int(low or 0), min(int(top), int(low or 0) + 64)))
            )
    for name, items in _LOOP_OVER.findall(text):  # `for lib in ("ucp", "uct")`
        values.setdefault(name, set()).update(_QUOTED.findall(items))
    for name, value in _COMPARED.findall(text):  # `if(TARGET STREQUAL "executorch")`, `name == "input"`
        values.setdefault(name, set()).add(value)
    return [head + value + tail for head, slot, tail in slots for value in values.get(slot, ())]


_DEF = lazy_compile(r"def (\w+)\(([^)]*)\)", re.ASCII)
_PARAM = lazy_compile(r"\s*\**(\w+)\s*(?::|=|$)", re.ASCII)
_LITERAL = lazy_compile(r"[\"']([\w.-]+)[\"']|(\d+)", re.ASCII)
_CALL = lazy_compile(r"(?<![\w.])(self\.)?(\w+)\(([^()\n]*)\)", re.ASCII)
_CMAKE_SLOT = lazy_compile(r"(\w*)\$\{(\w+)\}(\w*)", re.ASCII)  # `torchao_ops_${TORCHAO_OP_TARGET}`
_COMPARED = lazy_compile(r"\b(\w+)(?:\s+STREQUAL\s+|\s*==\s*)[\"']([\w.-]+)[\"']", re.ASCII)
_LOOP_OVER = lazy_compile(r"\bfor (\w+) in [(\[]([^()\[\]\n]*)[)\]]", re.ASCII)
_QUOTED = lazy_compile(r"[\"']([\w.-]+)[\"']", re.ASCII)
_LOOP = lazy_compile(r"\bfor (\w+) in range\((?:(\d+), ?)?(\w+)\)", re.ASCII)
# a slot of an f-string, with the name's parts about it
_FSLOT = lazy_compile(r"(\w*)\{(\w+)\}(\w*)", re.ASCII)

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_ESCAPED = frozenset("ntr")  # a string's escape before a name: `\t` in "\tcudaDeviceSetLimit("


def _find_word(text: str, needle: str, start: int = 0) -> int:
    """The first place ``needle`` stands in ``text`` as a whole word (no ASCII letter, digit or _ glued to
    either end, where the needle's own end is one), else -1."""
    if not needle:
        return -1
    head, tail = needle[0] in _WORD, needle[-1] in _WORD
    at = text.find(needle, start)
    while at >= 0:
        before = text[at - 1] if at > 0 else " "
        if before in _ESCAPED and text[at - 2 : at - 1] == "\\":  # a string's escape ends a word (`\tfoo`)
            before = " "
        after = text[at + len(needle)] if at + len(needle) < len(text) else " "
        if not (head and before in _WORD) and not (tail and after in _WORD):
            return at
        at = text.find(needle, at + 1)
    return -1


def _find_part(text: str, needle: str, folded: str = "") -> int:
    """Where ``needle`` stands as a whole word or as a part of a longer name: between ``_``s
    (`moe_alltoall` in `gen_moe_alltoall_module`), at a turn of letter case (`NoOp` in `NoOpPreprocess`,
    `FifoInfo` in `HelixFifoInfo`), after a compiler's ``-D`` (`-DSPEC_DEC=0`), or as the name's own ``_`` says
    (`_init_workspace`, `xqa_…`); else -1.
    With ``folded`` (``text`` in lower case), in any letter case: `CuteDSL` in `CuteDslMoEWrapper`, after a library's
    `lib` or before a version (`libcusparseLt`, `almalinux8`)."""
    if not needle:  # a name's empty part (`memory_peak/...(%)`'s "..." split at its dots)
        return -1
    hay, sought = (folded, needle.lower()) if folded else (text, needle)
    at = hay.find(sought)
    while at >= 0:
        end = at + len(needle)
        needle = text[at:end] if folded else needle  # the case the text writes it in
        before = text[at - 1] if at > 0 else " "
        if before in _ESCAPED and text[at - 2 : at - 1] == "\\":  # `\tcudaDeviceSetLimit(`
            before = " "
        after = text[end] if end < len(text) else " "
        left = (
            before not in _WORD
            or before == "_"
            or (at >= 2 and text[at - 2 : at] == "-D" and text[at - 3 : at - 2] not in _WORD)
            or needle[0] == "_"
            or (needle[0].isupper() and (before.islower() or before.isdigit()))
            # a CamelCase part after an acronym: `IdType` in `RoPEIdType`
            or (needle[:2].istitle() and before.isupper() and text[at - 2 : at - 1].isupper())
            # in any letter case, a library's name after its `lib` (`cuSPARSELt` in `libcusparseLt.so`)
            or (folded and hay[at - 3 : at] == "lib" and (at == 3 or text[at - 4] not in _WORD))
        )
        right = (
            after not in _WORD or after == "_" or needle[-1] == "_" or after.isupper()
            or needle[-1] not in _WORD  # a form that ends itself (`DivMod::` in `DivMod::eval_cpu`)
            # `NonExec` in `NonExec2D`, a family's name before its version (`ChatGLM` in `chatGLM2`, in any letter
            # case `AlmaLinux` in `almalinux8`)
            or (after.isdigit() and needle[-1].isalpha() and (bool(folded) or not needle.islower()))
        )  # fmt: skip
        if left and right:
            return at
        at = hay.find(sought, at + 1)
    return -1


def _name_found(evidence: Evidence, name: str, *, any_case: bool = False) -> bool:
    """A name shown whole or as a part of a longer one, with ``any_case`` in any letter case; a format's name
    (`W4AFP8`) in any letter case, also at the start of a part of a name when it ends in a digit (`E4M3` in
    `float8_e4m3fn`). The names the evidence writes short (``expanded``) are read only for one it lacks, and so is
    a name git cut at the end of a hunk header (``cut_names``)."""
    form = bool(_FORMAT.fullmatch(name))
    if _find_part(evidence.text, name) >= 0 or (
        (any_case or form) and _find_part(evidence.text, name, evidence.folded) >= 0
    ):
        return True
    if _find_part(evidence.expanded, name) >= 0 or (
        form
        and name[-1].isdigit()
        and re.search(rf"(?<![a-z0-9]){name.lower()}[a-z]", evidence.folded) is not None
    ):
        return True
    return any(name.startswith(cut) and name != cut for cut in evidence.cut_names)


_FORMAT = lazy_compile(r"[A-Z0-9]*\d[A-Z0-9]*[A-Z][A-Z0-9]*|[A-Z0-9]*[A-Z][A-Z0-9]*\d[A-Z0-9]*", re.ASCII)


def _diff_line(patch: str, at: int) -> int:
    """The line of the new file (the old one for a removed line) at offset ``at`` of a block's text."""
    line = 0
    for raw in patch[:at].split("\n")[:-1]:
        if raw.startswith("@@"):
            m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", raw)
            line = int(m.group(1)) - 1 if m else line
        elif not raw.startswith("-"):
            line += 1
    return line + 1 if line else 1


def _number_forms(number: str) -> list[str]:
    plain = number.replace(",", "")
    forms = [plain]
    if "." not in plain and len(plain) > 3:
        forms += [f"{int(plain):,}", f"{int(plain):_}"]  # Python's digit separators: `5_000`
    if "." in plain:
        trimmed = plain.rstrip("0").rstrip(".")
        if trimmed != plain:
            forms.append(trimmed)
    return forms


_THOUSANDS = lazy_compile(r",\d{3}(?![\d.])")


def _find_number(text: str, number: str, start: int = 0) -> int:
    """The first place ``number`` stands in ``text`` as a whole number (no digit, no decimal point with a digit and no
    thousands' group glued to it: "~4x" holds 4, "14", "4.5" and "4,500" do not; a list does, `(0,4,8)` and
    "localhost,127.0.0.1,0.0.0.0")."""
    at = text.find(number, start)
    while at >= 0:
        end = at + len(number)
        before = text[at - 1] if at > 0 else " "
        after = text[end : end + 2]
        if (
            not before.isdigit()
            and before != "."
            and not (after[:1].isdigit())
            and not (after[:1] == "." and after[1:2].isdigit())
            and _THOUSANDS.match(text, end) is None
        ):
            return at
        at = text.find(number, at + 1)
    return -1


def _found(
    claim: str, kind: _Kind, evidence: Evidence, surface: str = "", *, anywhere: bool = False
) -> str | None:
    """Where ``claim`` of ``kind`` (written as ``surface``) is in the evidence, or None. The ways are
    alternatives: ``anywhere`` (whether it is found, not where) tries the kind's own match first, the cheapest
    for a claim written as shown."""
    # a template not shown as it is (`fwd_hdim{128,256}_*.cu`, `_{1..7}bit`, `_01..22.png`): every name it stands
    # for, or the code's template
    if (braces := _CHOICES.search(claim)) and _find_word(evidence.text, claim) < 0:
        if _find_word(evidence.expanded, claim) >= 0:  # put together by code (`.0{1,p}`)
            return claim
        head, tail = claim[: braces.start()], claim[braces.end() :]
        space, _, head = head.rpartition("::")  # a namespace (`torchao::`): shown as names
        if space and not all(_name_found(evidence, name) for name in space.split("::")):
            return None
        low, dots, high = (braces[1] or braces[2]).partition("..")  # `{1..7}`: a range of numbers, either way
        first, last = sorted(map(int, (low, high))) if dots else (0, -1)
        width = len(low) if low.startswith("0") else 1  # `01..22`: 01, 02, …
        choices = [str(n).zfill(width) for n in range(first, last + 1)] if dots else braces[1].split(",")
        names = [_found(head + choice + tail, kind, evidence, anywhere=anywhere) for choice in choices]
        # the code's template (f"_mask_{mode}.cu"); a slot alone (`{7,40}`) is not any `{…}` of the prompt
        slot = (head or tail) and re.search(re.escape(head) + _SLOT_IN + re.escape(tail), evidence.text)
        return names[0] if all(names) else (slot.group() if slot else _spelled(claim, evidence))
    if anywhere and (plain := _MATCH[kind.match](claim, kind, evidence, surface)):
        return plain
    if surface and surface != claim and kind.match != "code" and _find_word(evidence.text, surface) >= 0:
        return surface  # written as the evidence writes it ("PR 3", "~4x", "99KB")
    flag, _, value = claim.partition("=")
    name = flag.lstrip("-").replace("-", "_")
    for form in kind.forms:  # the other ways the evidence writes it ("PR 12", "/pull/12", "48 * 1024")
        if "{dotted}" in form and ("." not in name or value):
            continue  # a form of a dotted flag's only, without a value (`--training.seed`: `job_config.training.seed`)
        written = form.format(n=claim.replace(",", ""), name=name, flag=flag, value=value, dotted=name)
        written = written.lower()
        if _find_word(evidence.folded, written) >= 0:
            return written
    if spelled := _spelled(claim, evidence):
        return spelled
    return (  # `anywhere` tried the kind's own match first
        (None if anywhere else _MATCH[kind.match](claim, kind, evidence, surface))
        or _templated(claim, evidence)
        or _filled(claim, evidence, numbers=False)
        or _by_words(claim, kind, evidence)
        or _member(claim, evidence)
        or _suffixed(claim, evidence)
        or _misspelt(claim, kind, evidence)
    )


def _spelled(claim: str, evidence: Evidence) -> str | None:
    """The claim written otherwise in code, by a row of `claims.toml`'s `spelling` (`torch.ops.ns.op`: `ns::op`)."""
    for spelled, shown, part, every in _rules().spellings:
        if m := spelled.match(claim):
            found = [
                written
                for written in (m.expand(form) for form in shown)
                if (
                    _find_part(evidence.text, written, evidence.folded)
                    if part
                    else _find_word(evidence.text, written)
                )
                >= 0
            ]
            if found and (not every or len(found) == len(shown)):
                return found[0]
    return None


def _suffixed(claim: str, evidence: Evidence) -> str | None:
    """A name with a suffix the text quotes as its own word (a metric's series: `agent_memory_registered_total` for
    `agent_memory_registered` and "with the `_total` suffix")."""
    head, _, tail = claim.rpartition("_")
    quoted = head and tail and re.search(rf"[`\"']_{re.escape(tail)}[`\"']", evidence.text)
    return claim if quoted and _name_found(evidence, head) else None


def _misspelt(claim: str, kind: _Kind, evidence: Evidence) -> str | None:
    """A long name one slip of the pen from a name the evidence shows, on either side: a letter left out or added,
    two letters swapped, an underscore left out or added, inside a word (`test_integration.py` for the test plan's
    "test_integraton.py", `block_sparse_weight` for the message's "block_sparse_wieght", `__getitem__` for a TODO's
    `__get_item__`). Not at a word's end or start, where a letter changes what a name means (`weights_only` is not
    `weight_only`, `_mm512_loadu_si512` not `_mm512_load_si512`, `torch.bfloat16` not `torch.float16`), nor in a
    short name. A call by its name (`DecoderLayer.forward()` for a comment's `DecodeLayer.forward()`)."""
    claim = claim.removesuffix("()")
    if (
        kind.match not in ("code", "verbatim", "path")
        or len(claim) < _rules().misspelt
        or not _SPELT.fullmatch(claim)
    ):
        return None
    slips = []
    for i in range(1, len(claim) - 1):
        head, tail = claim[:i], claim[i:]
        if head[-1].isalpha() and tail[0] == "_" and tail[1:2].isalpha():
            slips.append(re.escape(head + tail[1:]))  # an underscore the evidence leaves out
        if head[-1].isalpha() and tail[0].isalpha():
            slips.append(re.escape(head) + "[a-z_]" + re.escape(tail))  # the evidence has one more
            if tail[1].isalpha():
                slips.append(re.escape(head + tail[1:]))  # or leaves one out
                if tail[2:3].isalpha() and tail[1] != tail[0]:
                    slips.append(re.escape(head + tail[1] + tail[0] + tail[2:]))  # or swaps two
    found = re.search(rf"(?<![\w-])(?:{'|'.join(slips)})(?![\w-])", evidence.text) if slips else None
    return found.group() if found else None


_SPELT = lazy_compile(r"[\w./:-]+", re.ASCII)  # a name or a path, not words


_MEMBER = lazy_compile(r"([A-Z]\w*)\.([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)", re.ASCII)


def _member(claim: str, evidence: Evidence) -> str | None:
    """An enum's member the evidence names in words, the enum shown with another member (`ScalingType.DELAYED`:
    `ScalingType.DYNAMIC` and "delayed scaling"; `MXGemmKernelChoice.EMULATED`: "# emulated MX gemm")."""
    if not (m := _MEMBER.fullmatch(claim)) or len(m[2]) < 4:
        return None
    sibling = re.search(rf"(?<![\w.]){m[1]}\.(?!{m[2]}(?!\w))[A-Z][A-Z0-9_]*(?!\w)", evidence.text)
    return claim if sibling and _find_word(evidence.folded, m[2].lower().replace("_", " ")) >= 0 else None


_SPLIT = lazy_compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", re.ASCII)  # a name's words
_NAMES = lazy_compile(r"\w+", re.ASCII)
# words a hyphen joins, a flag's too (`--max-batch-size`), not in a path (`/tmp/finetune-llm`)
_HYPHENED = lazy_compile(r"(?<![\w/.])\w+(?:-\w+)+(?![\w-]|/)", re.ASCII)
_PREFIXED = lazy_compile(r"[mk](?:_|[A-Z])", re.ASCII)  # a member's `m`, a constant's `k`
_LINK = lazy_compile(r"https?://\S+", re.ASCII)


def _unhyphened(words: re.Match[str]) -> str:
    return words[0].replace("-", " ")


def _by_words(claim: str, kind: _Kind, evidence: Evidence) -> str | None:
    """A name of two words or more (four letters at least) written as a whole name or names in a row in another
    letter case or style of name, a member's `m` or a constant's `k` before it: `head_dim` is `HEAD_DIM` or
    `kHeadDim`, `head_dim_qk` `mHeadDimQk`, `ROPE_LLAMA` `kRoPELlama`, `Boost.Math` `Boost::math`, `logits_cap`
    "logits cap", `top_k` "top-k", `TypeError` "type error", `ImportError` "import errors", `sm_107` `sm107`; a
    count's name, its words after a number (`num_qo_heads`: "24 qo heads"); in words of a longer snake_case name; of
    three words or more, in a longer name of the other style. Not one of two words in a longer CamelCase name
    (`merge_state` is not `MergeStateKernel`'s), nor names a path parts (`NixlEpHandle` is not `nixl_ep/handle.py`,
    `finetune_llm` not `/tmp/finetune-llm`)."""
    bare = claim.removesuffix("()")
    words = [w.lower() for w in _SPLIT.findall(bare)]
    if kind.match not in ("verbatim", "folded", "code") or len(words) < 2 or len("".join(words)) < 4:
        return None
    if bare[:1] == "_" or bare[-1:] == "_":  # `_paged_run` is not `paged_run`
        return None
    plural = "." not in bare and len(words[-1]) > 3 and words[-1][-1] == "s" != words[-1][-2]
    last = words[-1][:-1] if plural else words[-1]
    # "import errors" for `ImportError`; "graph break" for `graph_breaks`, `train_spec` for `TrainSpecs` (not a
    # member's: `model.converters`); a verb's first word inflected ("pushing to hub" for `push_to_hub`)
    head = [f"{re.escape(words[0])}(?:ing|ed)?"] if len(words) > 2 else [re.escape(words[0])]
    row = (
        r"[|#] (?:[mk] )?"
        + r"(?: \| )?".join([*head, *map(re.escape, [*words[1:-1], last])])
        + r"(?:e?s)? [|#]"
    )
    # a count's name: its words after a number ("24 qo heads")
    if words[0] in ("num", "n") and len(words) > 2:
        row += r"|[|#] \d+ \| " + r"(?: \| )?".join(map(re.escape, words[1:])) + r" [|#]"
    if words[0] == "num":  # and after "number of" ("the number of stages": `num_stages`)
        row += (
            r"|[|#] number \| of \| "
            + r"(?: \| )?".join(map(re.escape, [*words[1:-1], last]))
            + r"(?:e?s)? [|#]"
        )
    if re.search(row, evidence.words):
        return claim
    # a name of three words or more inside a longer CamelCase name (`fused_linear_cross_entropy` in
    # `LigerFusedLinearCrossEntropyLoss`, `Float8Quantizer` in the plural `IsFloat8Quantizers`): one that starts
    # with a capital (not `gNumAcceptedTokens`, a tensor's) and is no kernel's (`top_k_mask_logits` is not
    # `TopKMaskLogitsKernel`: a Python function is not its kernel)
    camel = "".join(map(str.capitalize, words))
    if re.search(rf"(?<!\w)Test\w*?{camel}(?!\w)", evidence.text, re.IGNORECASE):
        return claim  # a test class named for what it tests (`scaled_mm`: `TestScaledMM`, `TestTensorclassAllGather`)
    if len(words) > 2 and re.search(rf"(?<!\w)(?:[A-Z]\w*?)?{camel}s?(?![a-z])(?!\w*Kernel)", evidence.text):
        return claim
    # a snake_case name in other words of a longer snake_case name, a word of it plural or written short
    # (`seqlen_k` in `seqlenk_col_limit` and `cu_seqlens_k`, `v_new` in `tma_load_V_new`, `grad_out` in
    # `grad_output`: `claims.toml`'s `short`); a CamelCase name of three words or more (`OptimState4bit` in
    # `_optim_state_4bit_c10d_ops`, `Float8Tensor` in `test_float8_tensor.py`)
    if "_" in bare or len(words) > 2:
        short = _rules().short
        run = "(?:s? )?".join(
            "(?:" + "|".join([" ?".join(map(re.escape, word)), *map(re.escape, short.get(word, ()))]) + ")"
            for word in words
        )
        return claim if re.search(rf"(?<= ){run}(?= )", evidence.parts) else None
    return None


_RANGE = lazy_compile(r"(?<=[A-Za-z_])(\d+)-(\d+)(?![\d-])", re.ASCII)


def _templated(claim: str, evidence: Evidence) -> str | None:
    """A name written as a template: a placeholder for a part of it (`+cuXXX` is `+cu129`, `ubuntuXXXX` the
    template `ubuntu${OS_VERSION}`; `routing_*.cu` the end of `moe_routing_common.cu`), or a range of numbers
    (`part1-5.sh`: `part1.sh` … `part5.sh`, each shown); `**` any folders (`recipes/configs/**.yaml`)."""
    # slots written as the model writes them (`rank_{rank}`, `r0-{year}-{month}`, `-of-0{...}`): the code's
    # f-string, any expression in each slot (`{now.year}`), its suffix perhaps added by `.with_suffix(".pt")`;
    # the rest cut short (`r{rank}-...`)
    parts = _CLAIM_SLOT.split(claim)
    if parts == ["", ""]:  # a slot alone, by its name (`{placeholders}`: "a string with placeholders")
        return claim if _find_word(evidence.text, claim[1:-1]) >= 0 else None
    if len(parts) > 1 and len("".join(parts)) >= 3:
        cut = parts[-1].endswith(("...", "…"))
        head, dot, extension = parts[-1].rpartition(".")
        if cut or not (dot and _NAMES.fullmatch(extension)):
            head, extension = parts[-1].rstrip(".…"), ""
        stem = r"\{[^{}\n]+\}".join(map(re.escape, [*parts[:-1], head]))
        ending = re.escape(f".{extension}") if extension else ""
        added = rf"|[\"'][^\n]*\n?[^\n]*\.with_suffix\([\"']{ending}[\"']\)" if extension else ""
        end = "" if cut else r"(?!\w)"
        found = re.search(
            rf"(?<![\w.]){stem}(?:{ending}{end}{added})", f"{evidence.text}\n{evidence.expanded}"
        )
        return found.group() if found else None
    inside = _rules().inside
    if any(p in claim for p in inside):
        parts = re.split("(" + "|".join(map(re.escape, inside)) + ")", claim)
        slot = _rules().slot  # a name's characters, template slots, joined by "/"
        pattern = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pattern += re.escape(part)
            elif part == "**":
                pattern += r"[\w./-]+"
            elif parts[i - 1].endswith(", ") and parts[i + 1].startswith(","):
                pattern += r"[^\n()\[\]{}]+?"  # a list's items left out (`[1, 1788, 13, ..., 2]`)
            else:
                pattern += slot
        # a part after `_`, `-D`, a diff line's sign (`-63cb7a98…` for `63cb7a98...`), an attribute's tail
        # (`args["text"].xxx` in `config.args["text"].size`); an f-string's slot filled
        tail = r"|(?<=\w\.)" if re.match(r"[A-Za-z_]\w*[.\[]", claim) else ""
        found = re.search(
            rf"(?:(?<![A-Za-z0-9.-])|(?<=-D)|(?<=\n[-+]){tail}){pattern}",
            f"{evidence.text}\n{evidence.expanded}",
        )
        return found.group() if found and len(re.sub(r"\W", "", "".join(parts[::2]))) >= 2 else None
    if (span := _RANGE.search(claim)) and 0 < int(span[2]) - int(span[1]) <= 16:
        numbers = range(int(span[1]), int(span[2]) + 1)
        names = [claim[: span.start()] + str(n) + claim[span.end() :] for n in numbers]
        return claim if all(_find_word(evidence.text, name) >= 0 for name in names) else None
    return _built(claim, evidence) or _slot_numbered(claim, evidence)


# a slot in a name the model writes (not `{7}`, `{s,m}`)
_CLAIM_SLOT = lazy_compile(r"\{(?!\d+\})[^{},\n]+\}")
# a template's slot: an f-string's of any expression (`{nbit}`, `{get_rank()}`; not a brace list's `{s,m}`), C's
# `"…" #nbit "…"`, a concatenation's (`"table_" + str(table_id) + ".weight"`)
_SLOT_IN = r'(?:\{[^{},\n]+\}|"\s*#\s*\w+\s*"|["\x27]\s*\+\s*(?:str\(\w+\)|\w+)\s*\+\s*["\x27])'
# `intNmm`'s `N`, `_Nbit_`'s, `uintN`'s, `table_N.`'s, `step_N/`'s
_N = lazy_compile(r"(?<=[a-z0-9_])N(?=[a-z0-9_./]|$)", re.ASCII)


def _slot_numbered(claim: str, evidence: Evidence) -> str | None:
    """A name whose number one slot of a template writes, the number shown as a value, quoted (`sm_100`:
    `code=sm_{num}` and "should be `100`"; not `sm_87` for `sm_{major}{minor}` and a count of 87 lines); any number
    in a placeholder's slot (`global_step100`: "global_step{N}/… where N is the training step") or in a counter's of
    the same name (`global_step_5`: f"global_step_{self.global_steps}")."""
    m = re.fullmatch(r"([A-Za-z_]\w*?[A-Za-z_])(\d+)", claim)
    if m is None:
        return None
    word = m[1].strip("_").rpartition("_")[2].lower()
    for slot in re.finditer(rf"(?<![\w.]){re.escape(m[1])}\{{([\w.]+)\}}", evidence.text):
        if slot[1] in _rules().placeholders or (len(word) > 2 and word in slot[1].rpartition(".")[2].lower()):
            return slot.group()
    if not re.search(rf"[`\"']{m[2]}[`\"']", evidence.text):
        return None
    found = re.search(rf"(?<![\w.]){re.escape(m[1])}{_SLOT_IN}(?![\w{{])", evidence.text)
    return found.group() if found else None


_QUALIFIED = lazy_compile(r"\w+(?:(?:\.|::|/)\w+)*", re.ASCII)


def _built(claim: str, evidence: Evidence) -> str | None:
    """A family of names written with `N` for their number: a template's slot in its place (`_pack_8bit_act_Nbit`:
    C's `"_pack_8bit_act_" #nbit "bit"`, an f-string's `f"_pack_8bit_act_{nbit}bit"`, `rank_N`'s
    `f"rank_{get_rank()}"`), or one of it shown (`intNmm`: `int1mm`; `uintN.h`: `uint1.h`; `step_N/config.json`:
    `step_170/config.json`); its qualifier (`torchao::`, `torch.ops.torchao.`) shown as names. `N` in the qualifier
    makes the whole name the template (`sparse.ebc.embedding_bags.table_N.weight`: `"….table_" + str(table_id) +
    ".weight"`)."""
    extension = m.group() if (m := _FILE.search(claim)) else ""
    stem = claim.removesuffix(extension)
    *qualifier, name = re.split(r"::|\.", stem)
    if not _N.search(name):
        qualifier, name = [], stem
    parts = _N.split(name)
    if len(parts) < 2 or not _QUALIFIED.fullmatch(name) or len(claim) < 6:
        return None
    slot = f"(?:{_SLOT_IN}|\\d+)"  # a template's slot, or a number
    pattern = r"(?<!\w)" + slot.join(map(re.escape, parts)) + re.escape(extension) + r"(?!\w)"
    shown = re.search(pattern, evidence.text)
    return shown.group() if shown and all(_name_found(evidence, q) for q in qualifier if q) else None


def _by_name(claim: str, kind: _Kind, evidence: Evidence, surface: str) -> str | None:
    """A name, or the name without its ending ("lru_cached", "Runners"), or with it (a plural name written
    singular); `folded`: in any letter case."""
    stems = [claim[: -len(end)] for end in kind.endings if claim.endswith(end)] + [
        claim.removesuffix(end) + plural if plural else claim + end
        for end, _, plural in (s.partition(">") for s in kind.singular)  # "y>ies": `devDependency` of `…ies`
        if not plural or claim.endswith(end)
    ]
    for stem in [claim, *stems]:
        if _name_found(evidence, stem, any_case=kind.match == "folded"):
            return stem
    return claim if _abbreviated(claim, evidence.text) else None


def _abbreviated(name: str, text: str) -> bool:
    """A name of three capitalised words or more the text abbreviates to its capitals (`DistributedModelParallel`:
    "DMP")."""
    return (
        _SPELT_OUT.fullmatch(name) is not None and _find_word(text, "".join(filter(str.isupper, name))) >= 0
    )


def _by_flag(claim: str, kind: _Kind, evidence: Evidence) -> str | None:
    """A flag as shown; one written with a placeholder for its value (`--test-path=VALUE`): the flag shown; one
    an f-string writes (`f"--offload-arch={arch}"`), a shell script's `case` reads (`--topology=*)`) or shown with
    another value (`--schedule.type=half_cos_with_warmup`): the value quoted too ("native", "cos_with_warmup"); a
    dotted one a config's field, in the class of its section (`--training.seed`: `class Training:` … `seed: int`); a
    value one of a list the flag is shown with (`--compile.components=loss`: `--compile.components=model,loss`); one
    as the code declares it otherwise (`near`: a parameter with its type; a flag of two words or more by its words,
    however joined; one with a value by its declaration's default)."""
    flag, _, value = claim.partition("=")
    name = flag.lstrip("-").replace("-", "_")
    words = name.split("_") if re.fullmatch(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+", name) else []
    if (
        _find_word(evidence.text, claim) >= 0
        or _find_word(evidence.expanded, claim) >= 0  # a list's (`--enable-k8s/mongo/redis-job`)
        or (not value and _config_field(name, evidence.text))
        or any(
            re.search(
                near.format(
                    name=re.escape(name),
                    bare=re.escape(flag.lstrip("-")),
                    words="[-_]".join(words),
                    value=re.escape(value),
                ),
                evidence.text,
            )
            for _, rows in kind.near
            for near in rows
            if (words or "{words}" not in near) and ("{value}" in near) == bool(value)
        )
        or (
            value
            and re.search(rf"{re.escape(flag)}=(?:[\w.-]+,)+{re.escape(value)}(?![\w.-])", evidence.text)
        )
        or (value in _rules().placeholders and _find_word(evidence.text, flag) >= 0)
        or (
            value  # the text writes it with a placeholder for the value (`--suite=path.csv`)
            and any(
                m[1].upper() in _rules().placeholders and value.endswith(m[2])
                for m in re.finditer(rf"{re.escape(flag)}=(\w+)((?:\.\w+)?)(?![\w.])", evidence.text)
            )
        )
        or (
            value
            and f"{flag}=" in evidence.text  # another value, an f-string's (`={arch}`), a `case`'s (`=*)`)
            and re.search(f"[\"']{re.escape(value)}[\"']", evidence.text)
        )
    ):
        return claim
    return None


def _config_field(name: str, text: str) -> bool:
    """A field a config class declares, the class named for its section (`training.seed`: `seed: int` in the lines
    after `class Training:`, a hunk's header or the diff's line, up to the next class or hunk; `fault_tolerance.x`:
    `class FaultTolerance:`), or a key of its section in a TOML file (`context_len = 2048` after `[training]`)."""
    section, dot, field = name.rpartition(".")
    if not dot or not _NAMES.fullmatch(section) or not _NAMES.fullmatch(field):
        return False
    heading = re.compile(
        rf"\bclass {re.escape(section.replace('_', ''))}\b|^[+ -]?\[{re.escape(section)}\]", re.IGNORECASE
    )
    declared = re.compile(rf"[+ -]?(?:\s+{re.escape(field)}\s*:|\s*{re.escape(field)}\s*=)")
    inside = False
    for line in text.split("\n"):
        if _SCOPE.match(line):
            inside = heading.search(line) is not None
        elif inside and declared.match(line):
            return True
    return False


# a hunk's header, a class or a TOML table: the fields after it are of another scope
_SCOPE = lazy_compile(r"[+ -]?(?:@@|class \w|\[)", re.ASCII)


def _by_version(claim: str, kind: _Kind, evidence: Evidence) -> str | None:
    """A version without its leading v, as a number; a release line (`v0.2`) where a release of it is (`v0.2.0`);
    a line's first release (`2.3.0`) where the line is (`"2.3"`); a version of numbers as code writes it otherwise
    (the kind's `near` rows: a part the version lacks matches nothing), a pre-release too."""
    bare = claim[1:] if claim[:1] in "vV" else claim
    # a pre-release its own field gives (`0.8.0rc0`: `PRE_RELEASE = "rc0"` beside the numbers' fields)
    release = re.fullmatch(r"(.*\d)((?:rc|post|dev|a|b)\d*)", bare)
    numbers = (release[1] if release else bare).split(".")
    fields = collections.defaultdict(lambda: "(?!)", zip(("major", "minor", "patch"), numbers, strict=False))
    fields["tuple"] = r"\s*,\s*".join(numbers)
    fields["joined"] = "".join(numbers) if len("".join(numbers)) >= 3 else "(?!)"
    if (
        _find_number(evidence.text, bare) >= 0
        or (bare.count(".") == 1 and re.search(rf"(?<![\d.]){re.escape(bare)}\.\d", evidence.text))
        or (bare.count(".") == 2 and bare.endswith(".0") and _find_number(evidence.text, bare[:-2]) >= 0)
        or (
            all(n.isdigit() for n in numbers)
            and (
                release is None
                or re.search(rf"(?i)pre_?release\w*\s*=\s*[\"']{release[2]}[\"']", evidence.text)
            )
            and any(
                re.search(near.format_map(fields), evidence.text) for _, rows in kind.near for near in rows
            )
        )
    ):
        return bare
    return None


def _by_reference(claim: str, kind: _Kind, evidence: Evidence) -> str | None:
    """A pull request or an issue as the evidence writes it most (`#12`: the cheap way first), or as a list writes
    it (its forms are the other ways it is written)."""
    if _find_word(evidence.text, "#" + claim) >= 0:
        return "#" + claim
    patterns = (near.format(n=claim) for _, written in kind.near for near in written)
    return claim if any(re.search(p, evidence.text) for p in patterns) else None


def _by_commit(claim: str, kind: _Kind, evidence: Evidence, surface: str) -> str | None:
    """A commit id, in lower case, where a word or a part of a name starts (the end of a longer hash is no match; a
    name's part shaped like one is the name's: `f16f16f16` in `mma_sync_…_f16f16f16`)."""
    return claim if re.search(rf"(?<![A-Za-z0-9]){re.escape(claim.lower())}", evidence.text) else None


def _by_number(claim: str, kind: _Kind, evidence: Evidence, surface: str) -> str | None:
    """A percentage, a multiplier, a size or a count. A number precise enough to say itself (three figures,
    or a decimal part) is found however the evidence goes on (a table's cell, code); else with its unit; a count
    of tokens is not a size or a time, nor the reverse ("2 tokens" is not a table's 0.00258 ms)."""
    text, how = evidence.text, kind.match
    if how == "unit":
        tokens = "token" in surface.lower()
        kind = replace(kind, units=tuple(u for u in kind.units if (u == "token") == tokens))
    precise = "." in claim or len(claim.replace(",", "").lstrip("0")) >= 3
    # The text first; the sums and the tables' cells (each with its column's unit) only for what it does not show.
    for form in _number_forms(claim):
        if (
            _shows_number(text, form, kind, precise)
            or (how == "number" and (form in evidence.added_up or form in evidence.figures))
            or _shows_number(evidence.cells, form, kind, precise)
        ):
            return form
    unit, plain = surface.lower(), claim.replace(",", "")
    fraction = re.escape(str(Decimal(plain).scaleb(-2)))
    literal = re.escape(format(Decimal(plain).scaleb(-2).normalize(), "f"))  # 80%: `0.8f`
    kib = format((Decimal(plain) * 1024).normalize(), "f")
    scale = next((e for u, e in _TIME_EXPONENT.items() if unit.endswith(u)), 0)  # a time in seconds
    seconds = re.escape(format(Decimal(plain).scaleb(scale).normalize(), "f"))
    # a row's units, "|" between them ("%|％|percent"): each found in the claim as written
    for near in (
        p for units, patterns in kind.near if any(u in unit for u in units.split("|")) for p in patterns
    ):
        # "ntok ≤ 16", "| tok/rank |", "smem <= 49152"
        shown = near.format(
            n=re.escape(plain),
            fraction=fraction,
            literal=literal,
            kib=kib,
            seconds=seconds,
            product=_factors(plain) if "{product}" in near else "",
        )
        if re.search(shown, text):
            return claim
    for in_bytes in dict(kind.in_bytes).get(surface.lstrip("0123456789.,").strip(), ()):
        if (size := Decimal(plain) * in_bytes) == int(size) and (
            int(size) in evidence.products
            # in bytes on a line of bytes or sizes (16 KiB: `kNumTMABytesPerWarp = 16384;`)
            or re.search(rf"(?im)^[^\n]*(?:byte|size)[^\n]*(?<![\w.]){int(size)}(?![\w.])", text)
        ):
            return claim  # 1 MiB: `1024 * 1024`; 12 MB: `12_000_000`
    return _rounded(claim, kind, evidence, precise) or _round_figure(claim, kind, evidence)


def _factors(number: str) -> str:
    """A number as a product of two whole numbers code writes (`1024 * 4` for 4096), as a pattern; none for a
    decimal or one too large to write so."""
    if not number.isdigit() or not 4 <= int(number) <= 10**7:
        return "(?!)"
    n = int(number)
    pairs = [(a, n // a) for a in range(2, math.isqrt(n) + 1) if n % a == 0]
    return "(?:" + "|".join(rf"{a}\s*\*\s*{b}|{b}\s*\*\s*{a}" for a, b in pairs) + ")" if pairs else "(?!)"


def _shows_number(shown: str, form: str, kind: _Kind, precise: bool) -> bool:
    at = _find_number(shown, form)
    while at >= 0:
        rest = shown[at + len(form) : at + len(form) + 9]
        if kind.match == "number" or precise or _unit_follows(rest, kind):
            return True
        at = _find_number(shown, form, at + 1)
    return False


def _round_figure(claim: str, kind: _Kind, evidence: Evidence) -> str | None:
    """A count or size written round ("约 1050 行", "about 1,900 lines") for a figure the evidence shows
    exactly (+1054/−1909, +4043, −556): the shown figure rounded or cut to the claim's own zeros, within 2% of it; a
    count of lines or files the diff gives (+6459, a folder's 212 lines) within 10% ("约 6000 行", "about 210"), also
    to the nearest 5 ("about 75 lines" for the diff's −76)."""
    plain = claim.replace(",", "")
    zeros = len(plain) - len(plain.rstrip("0"))
    step = 10**zeros if zeros else 5 if plain.endswith("5") else 0
    if kind.match not in ("number", "unit") or "." in plain or not step or len(plain) < 2:
        return None
    value = int(plain)
    # the text's own numbers only for a round claim of three figures or more (a figure rounded to 5: the diff's)
    shown = (
        [(m.group(), 50) for m in re.finditer(r"(?<![\w.])\d[\d,]*(?![\w.])", evidence.text)]
        if len(plain) > 2 and zeros
        else []
    )
    for figure, within in [*((f, 10) for f in sorted(evidence.figures)), *shown]:
        exact = int(figure.replace(",", ""))
        nearest = round(exact, -zeros) if zeros else step * round(exact / step)
        if value in (nearest, exact // step * step) and abs(exact - value) * within <= value:
            return figure
    return None


def _unit_follows(rest: str, kind: _Kind) -> bool:
    rest = rest.lstrip(" `'\"-") if kind.match == "unit" else rest  # "``… * 4`` bytes", "8-byte"
    if kind.units_any_case:
        return any(rest.lower().startswith(unit.lower()) for unit in kind.units)
    return any(rest.startswith(unit) for unit in kind.units)


def _rounded(claim: str, kind: _Kind, evidence: Evidence, precise: bool) -> str | None:
    """A figure the evidence shows with more decimals, rounded or cut to the claim's ("30%" for
    "+30.18%", "1.36x" for "1.355x", "14.33us" for a table's 14.332), a size or a time also in the next
    unit ("98.66 ms" for a table's 98662.79 us), a multiplier as a percentage ("0.6%" for 1.006x, "5%" for 0.95x):
    with the kind's unit after it unless the claim is precise."""
    plain = claim.replace(",", "")
    places = len(plain.partition(".")[2])
    step = Decimal(1).scaleb(-places)
    scales = (0, -3, 3) if kind.match == "unit" else (0,)
    for shown, rest in evidence.decimals:
        values = [Decimal(shown).scaleb(scale) for scale in scales]
        if kind.match == "percent" and rest.lstrip()[:1] in ("x", "×"):
            values = [abs(values[0] - 1) * 100]
        elif not (precise or _unit_follows(rest, kind)):
            continue
        for value in values:
            exponent = value.as_tuple().exponent  # an int: the values are finite
            if (
                isinstance(exponent, int)
                and exponent <= -places
                and plain
                in (
                    str(value.quantize(step, ROUND_HALF_UP)),
                    str(value.quantize(step, ROUND_DOWN)),
                )
            ):
                return shown
    return None


def _found_code(claim: str, evidence: Evidence) -> str | None:
    text = evidence.text
    bare = claim[:-2] if claim.endswith("()") else claim
    bare = bare.strip()
    if _find_word(text, bare) >= 0 or (_NAME.fullmatch(bare) and _name_found(evidence, bare)):
        return bare
    if _ACRONYM.fullmatch(bare) and _find_word(evidence.folded, bare.lower()) >= 0:
        return bare  # an acronym in any letter case (`TCCL`: `'tccl'`)
    if _abbreviated(bare, text):
        return bare
    if _SIZE.fullmatch(bare) and re.search(rf"(?<![A-Za-z0-9.]){re.escape(bare)}(?![A-Za-z0-9.])", text):
        return bare  # a model's size, as a part of its name too (`9b`: `gemma2_9b`)
    # a name git cut at the end of a hunk header (`all_be` for `all_benchmark_data.csv`)
    if any(bare.startswith(cut) and bare != cut for cut in evidence.cut_names):
        return bare
    commit = next(kind for kind in _rules().kinds if kind.name == "commit")
    if commit.pattern.fullmatch(bare):  # a commit id in backticks, read as the commit kind reads it
        return _by_commit(bare, commit, evidence, bare)
    if re.fullmatch(r"\d{7,40}", bare) and re.search(rf"(?<![A-Za-z0-9]){bare}[0-9a-f]*[a-f]", text):
        return bare  # a hash cut short to its first digits (`91298923` of `91298923a0076c…`)
    if _ESCAPE.fullmatch(bare) and bare in text:  # glued to what follows it (`\t` in `\torch`)
        return bare
    if _config_field(bare, text):  # a config's section and field (`fault_tolerance.process_group`)
        return bare
    if (
        spaced := _spaced_otherwise(bare, text) or _as_arguments(bare, text) or _filled(bare, evidence)
    ) is not None:
        return spaced
    if _ALTERNATIVES.search(bare):  # a pattern of names (`<Method>Recipe<SingleDevice|Distributed>`)
        return _each_alternative(bare, text)
    if _rules().angled.search(bare):  # a part written as `<folder>`, `epoch_<n>`: every other name shown
        names = [n.rstrip("_") for n in re.findall(r"[A-Za-z_]\w*", _rules().angled.sub(" ", bare), re.ASCII)
                 if n not in _rules().placeholders and n not in _rules().commands
                 and n.lower() not in _rules().not_claims and n.strip("_")]  # fmt: skip
        if not names and (alone := re.fullmatch(r"<(\w+)>", bare)):  # `<id>`: a template's `{flow_config.id}`
            return bare if re.search(rf"\{{(?:[\w.]*\.)?{alone[1]}\}}", text) else None
        return bare if names and all(_name_found(evidence, n) for n in names) else None
    if "/" in bare and " " not in bare:
        return _found_path(bare, text, evidence)
    if _PROSE.fullmatch(bare):
        # A word or two of prose in backticks (`optimize`, `cuda graph`): the words as the text has them,
        # letter case and endings aside ("Optimization").
        folded = evidence.folded
        return bare if all(folded.find(word) >= 0 for word in bare.lower().split()) else None
    if (shown := _formula(bare, evidence) or _field_path(bare, text)) is not None:
        return shown
    # A call written with its arguments (`plan(q, k)`, `deprecate_kwarg("n")`, a decorator's `@retry(n=...)`, Rust's
    # `offset_of!(token_lens)`, its first argument left out), a
    # qualified name put together from its parts (`Wrapper.plan`, `ns::fn`), a quoted phrase: every name in it is
    # shown.
    # `--override key=value`, a string cut short (`$v2 = ... 'xxx'`)
    words = " ".join(w for w in bare.split() if w.strip("'\"") not in _rules().placeholders)
    names = [
        # not a mask's letters (`0xffffffff`'s `xffffffff`)
        n
        for n in re.findall(r"[A-Za-z_]\w*", _HEX.sub(" ", words), re.ASCII)
        if len(n) > 1 and n not in _rules().commands
    ]
    if not names or (
        " " not in bare and not re.fullmatch(r"@?(?:[\w.:()\[\], *&<>=\"'+-]|!(?=\())+", bare, re.ASCII)
    ):
        return None
    # a standard module's name need not be shown where the code calls or subscripts the name it qualifies
    # (`pathlib.Path` for `Path(p)`, `typing.List` for `List[int]`; not `os.path.exists` for `path.exists()`)
    # (`unittest.mock.patch` for `@patch("…")`; not for a `def` of the name)
    rest = bare.rpartition(".")[2]
    if (
        _NAMES.fullmatch(rest)
        and names[0] in sys.stdlib_module_names
        and re.search(rf"(?<![\w.])(?<!def ){rest}[(\[]", text)
    ):
        return rest
    if names[-1][:1].isupper() and names[-1].endswith("s"):  # a class's plural (`nn.Parameters`)
        names[-1] = names[-1] if _find_word(text, names[-1]) >= 0 else names[-1][:-1]
    setting = _SETTING.fullmatch(bare) is not None
    if all(
        _find_word(text, name) >= 0
        or _name_found(evidence, name)
        or _called(name, text)
        # an element by its list (`guide` for `self._guides[i]`)
        or re.search(rf"(?<![A-Za-z0-9]){name}s\[", text) is not None
        # an object named for its class, two words or more, the class defined or constructed (`launch_config` of
        # a `BeakerLaunchConfig`, `commit_info` of `CommitInfo(…)`)
        or (n == 0 < len(names) - 1 and _instance(name, text))
        # a setting's snake_case name in capitals (`use_qk_l2norm=True` for the kernel's `USE_QK_L2NORM`; not a
        # part of a qualified name: `torch.utils.cmake_prefix_path` is not `CMAKE_PREFIX_PATH`)
        or (setting and "_" in name.strip("_") and _find_word(text, name.upper()) >= 0)
        for n, name in enumerate(names)
    ) and _masks_shown(bare, text):
        return names[-1]
    # A name written as a pattern (`src.xxx`): the rest shown, any name in its place.
    parts = re.split(r"(\.|::)", bare)
    if any(part in _rules().placeholders for part in parts[::2]):
        pattern = "".join(r"\w+" if i % 2 == 0 and part in _rules().placeholders else re.escape(part)
                          for i, part in enumerate(parts))  # fmt: skip
        found = re.search(rf"(?<![\w.]){pattern}", text)
        return found.group() if found else None
    return None


def _instance(name: str, text: str) -> bool:
    words = name.split("_")
    camel = "".join(word.capitalize() for word in words)
    return (
        len(words) > 1 and all(words) and re.search(rf"\bclass \w*{camel}\b|\b\w*{camel}\(", text) is not None
    )


# mathematics: its signs (a transpose, a product, a power), a function's call, an operator between two terms, a
# minus before one; of names, numbers, signs and brackets only, no division
_FORMULA = lazy_compile(r"(?=.*(?:[\^·×⊙ᵀ]|\w\(|[\w)\]]\s*[-+*]\s*[\w(]|^-\w))[\w\s.,()\[\]^·×⊙ᵀ*+-]+")
_TERM = lazy_compile(r"(\^)?([A-Za-z_]\w*)|(?<![\w.])(\d+)(?![\w.])", re.ASCII)


def _field_path(claim: str, text: str) -> str | None:
    """A field's path of three names or more in lower case, as another language's code writes it on one line, each
    name capitalised, in order (`spec.resources.requests.storage`:
    `pvc.Spec.Resources.Requests[corev1.ResourceStorage]`)."""
    parts = claim.split(".")
    if len(parts) < 3 or not all(part.isalpha() and part.islower() for part in parts):
        return None
    found = re.search(r"[^\n]*?".join(rf"{part.capitalize()}(?![a-z])" for part in parts), text)
    return found.group() if found else None


def _formula(claim: str, evidence: Evidence) -> str | None:
    """A formula in mathematics (`k v^T`, `exp(g_i - g_j)`, `q·k`, `-x`): every name in it shown as code writes
    it, with a kernel's block prefix (`b_k` for k), an indexed name as the name (`g_i` for g); the functions of
    mathematics (`exp`) and a transpose's `T` need not be, a number of two digits or more is."""
    text = evidence.text
    if not _FORMULA.fullmatch(claim) or not _masks_shown(claim, text):
        return None
    functions, prefixes, indices = _rules().formula
    names = 0
    terms = _HEX.sub(" ", claim)  # a mask is found as it is, above
    for m in _TERM.finditer(terms):
        if m[3] is not None:
            if len(m[3]) > 1 and _find_word(text, m[3]) < 0:
                return None
            continue
        name = m[2]
        if (name in functions and terms[m.start(2) - 1 : m.start(2)] != ".") or (m[1] and name == "T"):
            continue
        indexed = re.fullmatch(r"([A-Za-z]\w*?)_([a-z])", name, re.ASCII)
        forms = [name, *(f"{prefix}{name}" for prefix in prefixes)]
        if indexed and indexed[2] in indices:
            forms += [indexed[1], *(f"{prefix}{indexed[1]}" for prefix in prefixes)]
        if not any(
            _find_word(text, form) >= 0 or (len(form) > 1 and _name_found(evidence, form)) for form in forms
        ):
            return None
        names += 1
    return claim if names else None


_TOKEN = lazy_compile(r"\w+|[^\w\s]", re.ASCII)
_TUPLE = lazy_compile(r"[(\[](\w+(?:, ?\w+)+)[)\]]", re.ASCII)  # `(b, s)`, `[1, 0]`
_VALUE = r"None|True|False|true|false|null|-?\d+"
# `y=None`, `n=0`, `full_bf16=True/False` (either), a config's `head_dim: null`, `x: [false, false]`
_SETTING = lazy_compile(
    rf"(\w+)(?:=|: ?)({_VALUE}|True/False|true/false|[\[(](?:{_VALUE})(?:, ?(?:{_VALUE}))*[\])])", re.ASCII
)
# a setting's literal and brackets as any of the three languages writes them
_SPELLED = {"none": "(?:None|null)", "null": "(?:None|null)", "true": "(?:True|true)", "false": "(?:False|false)",
            "[": r"[\[(]\s*", "(": r"[\[(]\s*", "]": r"\s*[\])]", ")": r"\s*[\])]", ",": r"\s*,\s*"}  # fmt: skip
_SPEC = r"(?:[=!<>~]=|[<>])\s*[\"']?[\w.*+-]+[\"']?"  # a requirement's bound: `>=1.7.0`, `!="1.10"`
# `torch==2.7.0.dev20250310+cpu`; bounds alone (`>=2.4.0,<=2.6.0`)
_PINNED = lazy_compile(rf"([\w.-]*)({_SPEC}(?:,\s*{_SPEC})*)", re.ASCII)


def _literal(value: str) -> str:
    """A setting's value as Python, JSON or YAML writes it: `None` or `null`, `True` or `true`, a list or a
    tuple of them (`[false, false]`: `(False, False)`), either of two (`True/False`)."""
    if "/" in value:
        return "|".join(map(_literal, value.split("/")))
    return "".join(_SPELLED.get(t.lower(), re.escape(t)) for t in re.findall(r"-?\w+|\S", value))


def _spaced_otherwise(claim: str, text: str) -> str | None:
    """Code written with other spaces, or another kind of brackets, as the text has it: `[b*s, d]` for "[b * s,
    d]", `(b, s)` for "[b, s]", `(1, 0)` for `return 1, 0`; a setting and its literal as code sets or tests it
    (`q=None` for `q: Optional[Tensor] = None`, `y=None` for `if y is None`, `x=False` for YAML's `x: False`,
    `r=8` for JSON's `"r": 8`, `head_dim: null` for `head_dim=None`, `x: [false, false]` for `cfg["x"] = (False,
    False)`, `include_usage: true` for `if (… and options.include_usage):`), a requirement with its version quoted
    (`torch==2.7.0` for `torch=="2.7.0"`) or with other bounds, in any order (`torch!=1.10` for
    `"torch>=1.7.0,!=1.10"`; bounds alone, `>=2.4,<=2.6` for `torch<=2.6,>=2.4`). Not code of words alone: those
    are names, found as names."""
    tokens = _TOKEN.findall(claim)
    if not any(not t[0].isalnum() and t != "_" for t in tokens) or len(tokens) < 3:
        return None
    if m := _SETTING.fullmatch(claim):
        value = _literal(m[2])
        sets = r"\s*(?::[^=\n]{1,60})?=|\s*==|\s+is|[\"']?:|[\"']\]\s*="  # `x: int = `, `x is`, `"x":`, `c["x"] =`
        joined = rf"(?<![\w.]){m[1]}(?:{sets})\s*(?:{value})(?!\w)"
        if m[2].lower() == "true":  # a flag the code tests (`if x:`, `and opts.x)`)
            joined += rf"|\b(?:if|and|or)\s+\(?(?:[\w.]*\.)?{m[1]}\s*[):]"
    elif m := _PINNED.fullmatch(claim):  # a requirement's bounds, quoted, among others (`torch>=1.7,!=1.10`)
        bounds = set(re.sub(r"[\s\"']", "", m[2]).split(","))
        package = re.escape(m[1]) if m[1] else r"[\w.-]+"
        for shown in re.finditer(rf"(?<![\w.-]){package}\s*({_SPEC}(?:\s*,\s*{_SPEC})*)", text):
            if bounds <= set(re.sub(r"[\s\"']", "", shown[1]).split(",")):
                return shown.group()
        return None
    else:
        inner = _TUPLE.fullmatch(claim)
        words = _TOKEN.findall(inner[1]) if inner else tokens
        gaps = [
            r"\s+" if a[-1].isalnum() and b[0].isalnum() else r"\s*" for a, b in itertools.pairwise(words)
        ]
        # in a tuple, a letter for a snake_case name (`(r, r, k, 1)` for "(r, r, kernel_size, 1)"); elsewhere a
        # placeholder for any name (`X | None` for "int | None")
        items = [
            rf"{t}(?:\w*_\w+)?"
            if inner and t.isalpha() and len(t) == 1
            else r"[A-Za-z_][\w.]*"
            if not inner and t in _rules().placeholders and t.isalpha()
            else re.escape(t)
            for t in words
        ]
        body = "".join(t + g for t, g in zip(items, [*gaps, ""], strict=True))
        # a tuple's inside: not a part of a longer one or of an expression (`0, 2` in `[1, 0, 2]`, `s, d` in
        # `[b * s, d]`)
        ends, signs = r"[\w.,*+/%-]", r"[,*+/%-]"
        joined = (rf"(?<!{ends})(?<!{signs} ){body}(?!{ends}|\()(?! {signs})" if inner
                  else rf"(?<!\w){body}(?!\w)")  # fmt: skip
    found = re.search(joined, text)
    return found.group() if found else None


def _as_arguments(claim: str, text: str) -> str | None:
    """A command line as code passes it, a list of quoted arguments (`--b 3` for `["--b", "3"]`)."""
    words = claim.split()
    if len(words) < 2 or any(quote in claim for quote in "\"'"):
        return None
    found = re.search(r"\s*,\s*".join(f"[\"']{re.escape(word)}[\"']" for word in words), text)
    return found.group() if found else None


def _filled(claim: str, evidence: Evidence, *, numbers: bool = True) -> str | None:
    """What an f-string writes, each slot filled with a number, a letter or a placeholder for one (`<name>`), or a
    word the prompt shows (`(CUDA 0)` for `f" ({device_type.upper()} {p.get_device()})"` beside `p.is_cuda`,
    `OPENAI_BASE_URL` for `f"{self.provider.upper()}_BASE_URL"` beside `== "openai"`); a name a glob's `*` stands
    for, one part of it (`RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES` for `RAY_EXPERIMENTAL_NOSET_*_VISIBLE_DEVICES`).
    Without ``numbers`` (a name not in backticks), an f-string of one slot, filled with a word the prompt shows
    (`ltx2_refine_image_crf` for `f"ltx2_refine_{key}"` beside `"image_crf": 18`; an environment variable)."""
    for m in _GLOB.finditer(evidence.text):
        if re.fullmatch(r"[A-Za-z0-9]+".join(map(re.escape, m.group().split("*"))), claim):
            return m.group()
    for m in _FSTRING.finditer(evidence.text):
        pieces = re.split(_SLOT_IN, m[1].strip())
        if len(pieces) < 2 or len("".join(pieces).replace(" ", "")) < 2 or "" in pieces[1:-1]:
            continue  # not two slots side by side: `sm_87` is not `f"sm_{major}{minor}"`'s
        filled = re.fullmatch(r"(<\w+>|[\w.-]+)".join(map(re.escape, pieces)), claim)
        if filled is None or (not numbers and len(pieces) > 2):
            continue  # a name not in backticks: one slot only (not `qk_out_pv` for `{qk_str}_{pv_str}_{out_str}`)
        words = [w for w in filled.groups() if not (w.isdigit() or len(w) == 1 or w[0] == "<")]
        if (numbers or len(words) == len(filled.groups())) and all(
            f" {w.lower()} " in evidence.parts or _find_word(evidence.folded, w.lower()) >= 0 for w in words
        ):
            return m.group()
    return None


_ALTERNATIVES = lazy_compile(r"<\w+(?:\|\w+)+>", re.ASCII)  # `<SingleDevice|Distributed>`


def _each_alternative(claim: str, text: str) -> str | None:
    """A pattern of names, its alternatives in angle brackets, any name for a word there (`<Method>`): a name
    of each alternative shown (`<Method>Recipe<SingleDevice|Distributed>`: `FullFinetuneRecipeSingleDevice`,
    `LoRAFinetuneRecipeDistributed`)."""
    pieces = re.split(r"<([^<>]+)>", claim)
    if len(re.sub(r"\W", "", "".join(pieces[::2]))) < 3:
        return None
    found = None
    for at in range(1, len(pieces), 2):  # each choice of each group, any name for the other groups
        for choice in pieces[at].split("|") if "|" in pieces[at] else ():
            pattern = "".join(
                re.escape(choice) if i == at else r"\w+" if i % 2 else re.escape(piece)
                for i, piece in enumerate(pieces)
            )
            if (found := re.search(rf"(?<!\w){pattern}(?!\w)", text)) is None:
                return None
    return found.group() if found else None


def _called(name: str, text: str) -> bool:
    """A special method the text calls by its builtin (`__repr__`: "repr() on the config")."""
    builtin = _rules().special_methods.get(name)
    return builtin is not None and re.search(rf"(?<![\w.]){builtin}\(", text) is not None


_HEX = lazy_compile(r"(?<!\w)0[xX][0-9A-Fa-f]+(?!\w)", re.ASCII)


def _masks_shown(claim: str, text: str) -> bool:
    """Every mask (a hexadecimal literal, `0xffffffff`) the code claim passes is in the text as it is: a number,
    not a name of its letters."""
    return all(_find_word(text, mask) >= 0 for mask in _HEX.findall(claim))


_PROSE = lazy_compile(r"[a-z]+(?: [a-z]+){0,2}", re.ASCII)
_ESCAPE = lazy_compile(r"\\[a-z]", re.ASCII)
_NAME = lazy_compile(r"\w*(?:_\w|[a-z0-9][A-Z])\w*", re.ASCII)  # a name of parts: snake_case, CamelCase
_SIZE = lazy_compile(r"\d+(?:\.\d+)?[BbMmKk]")  # a model's size: `9b`, `1.5B`
_ACRONYM = lazy_compile(r"[A-Z]{3,}")
_SPELT_OUT = lazy_compile(r"(?:[A-Z][a-z]+){3,}", re.ASCII)  # a name of three words or more, each capitalised


def _found_path(claim: str, text: str, evidence: Evidence | None = None) -> str | None:
    """A path (or the end of one) as the evidence shows it, or put together from what it shows."""
    found = _found_path_itself(claim, text)
    # a message wrapped at a hyphen (`gateway-api-⏎inference`)
    if found is None and "-\n" in text and "-" in claim:
        found = claim if _found_path_itself(claim, text.replace("-\n", "-")) is not None else None
    if found is None and "." in claim:  # as a regular expression escapes it (`pyproject\.toml`)
        found = claim if _found_path_itself(claim.replace(".", "\\."), text) is not None else None
    if found is not None or evidence is None:
        return found
    # a file in another letter case (`ATen/Parallel.h` for `Aten/Parallel.h`, a sentence's `Generate.py`)
    if _FILE.search(claim) and (folded := _found_path_itself(claim.lower(), evidence.folded)) is not None:
        return folded
    names = claim.strip("/").rstrip(".").split("/")  # a sentence's full stop is not the path's
    # a file's name: put together by code, or a module imported (`from ._build_meta import`)
    if len(names) == 1:
        shown = _stem_and_extension(names[0], evidence.text) or _imported(names, evidence)
        return claim if shown or _restyled(names[0], evidence) or _test_module(names[0], evidence) else None
    return claim if any(way(names, evidence) for way in _PUT_TOGETHER) else None


def _test_module(name: str, evidence: Evidence) -> bool:
    """A test file by its module's name, as a test run names it (`test_fused_linear_jsd.py`: "I tested test_jsd,
    test_fused_linear_jsd"; `claims.toml`'s `file_style.test_modules`)."""
    stem, dot, extension = name.rpartition(".")
    return (
        dot == "."
        and extension == "py"
        and stem.startswith(_rules().test_modules)
        and _find_word(evidence.text, stem) >= 0
    )


def _restyled(name: str, evidence: Evidence) -> bool:
    """A file's name with its words parted otherwise (`claims.toml`'s `file_style`): `moe-microkernel.py` for
    `moe_micro_kernel.py`."""
    separators, shortest = _rules().file_style
    stem, dot, extension = name.lower().rpartition(".")
    letters = [c for c in stem if c not in separators]
    if not (dot and _FILE.search(name)) or len(letters) < shortest:
        return False
    parted = f"[{re.escape(separators)}]?".join(map(re.escape, letters))
    return re.search(rf"(?<![\w.-]){parted}\.{re.escape(extension)}(?![\w-])", evidence.folded) is not None


def _module_attribute(names: list[str], evidence: Evidence) -> bool:
    """A module's name written as a path (`pkg/mod.as_bf16`): the module's file and the name shown."""
    head, _, attribute = names[-1].rpartition(".")
    module = "/".join([*names[:-1], head]) + "."
    return (
        bool(head)
        and not _FILE.search(names[-1])
        and _find_word(evidence.text, attribute) >= 0
        and module in evidence.text
    )


def _quoted_parts(names: list[str], evidence: Evidence) -> bool:
    """Put together by code: `("shim", "runner.py")`, `"shim" / "runner.py"`, a part an inner call gives
    (`Paths.get(System.getProperty("user.dir"), "key_file.json")`); a folder by its constant or a variable named for it,
    the folders before it shown (`tests/assets/x.txt` for `ASSETS / "x.txt"`, `vae_decoder_path / "config.json"`,
    `os.path.join(dst, "config.json")`)."""
    quoted = [f"[\"']{re.escape(n)}[\"']" for n in names]
    if re.search(r"\)?\s*[/,]\s*".join(quoted), evidence.text):
        return True
    *before, folder, _ = names
    constant = rf"(?<!\w)(?:{re.escape(folder.upper())}|{re.escape(folder)})\s*[/,]\s*{quoted[-1]}"
    if re.search(constant, evidence.text) is not None and all(
        _find_word(evidence.text, n) >= 0 for n in before
    ):
        return True
    # the end quoted after a call or a name that names the folders before it
    # (`src/flag_gems/ops/sum.py` for `get_flag_gems_src_path() / "ops" / "sum.py"`)
    for end in range(2, len(names)):
        joined = r"\s*/\s*".join(quoted[-end:])
        for m in re.finditer(rf"(\w+)(?:\(\))?\s*/\s*{joined}", evidence.text):
            if all(n in m.group(1) for n in names[:-end]):
                return True
    return False


def _imported(names: list[str], evidence: Evidence) -> bool:
    """A module the code imports by its dotted name, or by the end of it (`from flashinfer.artifacts import`;
    `ops/softmax.py`, `softmax.py` for `from liger_kernel.ops.softmax import`), or relative to the importing file
    (`from .routergemm import`, `from . import routergemm`, `from ..cute_dsl.fp4_common import`), or run
    (`integration_tests_ft.py` for `python -m tests.integration_tests_ft`), or imported from its package
    (`qwix/contrib/calibration.py` for `from qwix.contrib import calibration`), or named in a string's dotted path
    (`"diffsynth.models.flux_dit.FluxDiT"`), or relative to its folder
    without a dot (`torchao/quantization/utils.py` for `from quantization.utils import` in `torchao/_eval.py`); a
    package's `__init__.py` by the package's dotted name (`torchtitan/experiments/qwen3/__init__.py` for
    `import torchtitan.experiments.qwen3`, or named anywhere where the evidence writes an `__init__.py`; not
    `flashinfer/__init__.py` for `import flashinfer`)."""
    stem = "/".join(names).removesuffix(".py")
    if stem == "/".join(names):
        return False
    package = stem.removesuffix("/__init__")  # a package's `__init__.py` is the package, by its dotted name
    # named anywhere where the evidence writes an `__init__.py` ("making cuda.bench.cuXY an importable package")
    dotted_package = package.replace("/", ".")
    if (
        package != stem
        and "/" in package
        and "__init__.py" in evidence.text
        and _find_word(evidence.text, dotted_package) >= 0
    ):
        return True
    stem = package if "/" in package else stem  # (a top-level package alone names no folder)
    # the module by the path, or by the path without its first folders while two parts remain (a source
    # layout's `src/flag_gems/ops/index_add.py` for `from flag_gems.ops.index_add import`)
    parts = stem.split("/")
    for start in range(max(1, len(parts) - 1)):
        dotted = re.escape(".".join(parts[start:])).replace(r"\*", r"\w*")  # a glob: `subclass_*.py`
        if re.search(rf"(?:from|import|-m)\s+(?:\w+\.)*{dotted}(?![\w.])", evidence.text):  # `-m` runs one
            return True
        package, dot, module = dotted.rpartition(r"\.")
        if dot and re.search(
            rf"from\s+(?:\w+\.)*{package}\s+import\s+(?:[\w\s,(]*,\s*)?{module}\b", evidence.text
        ):
            return True
        # a string's dotted path to a name in the module (`"diffsynth.models.flux_dit.FluxDiT"`: `flux_dit.py`)
        if re.search(rf"[\"'](?:\w+\.)+{dotted}\.\w", evidence.text):
            return True
    for section in (s for s in evidence.sections if s.path):
        folder = section.path.split("/")[:-1]
        for dots, module, imported in _RELATIVE.findall(section.text):
            base = folder[: len(folder) - len(dots) + 1] if len(dots) <= len(folder) + 1 else None
            modules = [module.split(".")] if module else [[n] for n in re.findall(r"\w+", imported)]
            if base is not None and any("/".join(["", *base, *m]).endswith(f"/{stem}") for m in modules):
                return True
    return False


_RELATIVE = lazy_compile(r"from (\.*)([\w.]*) import ([^\n]*)")  # no dot: a module of the file's own folder


def _dotted_folder(names: list[str], evidence: Evidence) -> bool:
    """A path whose folder is written as a package's dotted name (`torchao.quantization.prototype/__init__.py`)."""
    folders = [n.replace(".", "/") for n in names[:-1]]
    return (
        folders != names[:-1]
        and _found_path_itself("/".join([*folders, names[-1]]), evidence.text) is not None
    )


def _folder_and_file(names: list[str], evidence: Evidence) -> bool:
    """A folder and a file name shown apart: "`tests/moe_ep/` — (`test_moe_ep_ht.py`)"."""
    folder = "/".join(names[:-1]) + "/"
    return (
        bool(_FILE.search(names[-1]))
        and folder in evidence.text
        and _find_word(evidence.text, names[-1]) >= 0
    )


def _spaced_list(names: list[str], evidence: Evidence) -> bool:
    """Names the text lists with " / " between them, in bold or in backticks too (`CMake/setup.py`: "**CMake** /
    **setup.py**")."""
    pattern = r"[*`]{0,2}\s+/\s+[*`]{0,2}".join(map(re.escape, names))
    return re.search(rf"(?<![\w./]){pattern}(?![\w/])", evidence.text) is not None


def _last_word_swapped(names: list[str], evidence: Evidence) -> bool:
    """Two files whose names differ in their last word, the second's after "/" (`example-local/slurm.yaml`:
    `example-local.yaml` and `example-slurm.yaml`), each shown."""
    extension = _FILE.search(names[-1]) if len(names) == 2 else None
    if extension is None or _FILE.search(names[0]) or not (m := re.fullmatch(r"(.+[-_])\w+", names[0])):
        return False
    files = [names[0] + extension.group(), m[1] + names[1]]
    return all(_found_path_itself(name, evidence.text) for name in files)


def _name_list(names: list[str], evidence: Evidence) -> bool:
    """A list of names joined by "/" with no file among them (`allreduce/allgather`, `q/k/v/out`): each shown, in any
    letter case (`fp16/bf16` in `TestFP16`, `TestBF16`), a name written with "-" also as code writes it (`min-p`:
    `min_p`) or in camelCase (`max_tokens/top_p`: `maxTokens`, `topP`), or its plural (`expert-weight`:
    `expert_weights`), a word inflected or a noun as its verb (`claims.toml`'s `list_words`: `transposed`, `reduce`),
    written short (`short`: `sync` for `synchronize`), a library without its `lib` (`libtorch/c10/cudart`: `libc10.so`),
    a dotted name by its parts (`experts.w1/w2/w3`: `experts` and `self.w1`)."""
    rules = _rules()
    endings, verbs = rules.list_words
    return not any(_FILE.search(n) for n in names) and all(
        n
        and any(
            _name_found(evidence, s, any_case=True)
            or _find_word(evidence.folded, s.lower()) >= 0
            or ("." in s and all(_name_found(evidence, part) for part in s.split(".")))
            for snake in [n.replace("-", "_")]
            for s in (
                n,
                snake,
                snake + "s",
                snake.replace("_", ""),
                "lib" + n,
                *(n + e for e in endings if n.isalpha()),
                *(n.removesuffix(noun) + verb for noun, verb in verbs if n.endswith(noun)),
                *rules.short.get(n, ()),
            )
        )
        for n in names
    )


def _values(names: list[str], evidence: Evidence) -> bool:
    """Numbers joined by "/", a time's with its unit, each shown (`240s/10s/3`: a probe's `InitialDelaySeconds: 240`,
    `PeriodSeconds: 10`, `FailureThreshold: 3`)."""
    numbers = [re.fullmatch(r"(\d+)(?:m?s)?", name) for name in names]
    return all(numbers) and all(_find_number(evidence.text, m[1]) >= 0 for m in numbers if m)


def _action(names: list[str], evidence: Evidence) -> bool:
    """A GitHub Action by its repository and ref, the path inside it left out (`pytorch/test-infra@main` for `uses:
    pytorch/test-infra/.github/actions/setup-miniconda@main`)."""
    repo, at, ref = "/".join(names).partition("@")
    pattern = rf"(?<![\w.-]){re.escape(repo)}/[\w./-]+@{re.escape(ref)}(?![\w.-])"
    return bool(at and ref) and re.search(pattern, evidence.text) is not None


def _file_list(names: list[str], evidence: Evidence) -> bool:
    """File names joined by "/" (`IntFastDiv.h/RoutingKernel.cuh`), after their folder perhaps
    (`cpp/testing.cc/testing.h`: `cpp/testing.cc` and `cpp/testing.h`): each a file's name, each shown as a file
    alone is (`GPTQ.py/eval.py`: `from GPTQ import`, `from eval import`); or names whose extension the last one
    writes (`full/lora/qlora.yaml`: `full.yaml`, `lora.yaml` and `qlora.yaml`)."""
    stems = [*names[:-1], names[-1].rpartition(".")[0]]
    extension = names[-1][len(stems[-1]) :]
    if (
        len(names) > 1
        and _FILE.search(extension)
        and all(stem.isidentifier() for stem in stems)
        and all(_found_path(stem + extension, evidence.text, evidence) is not None for stem in stems)
    ):
        return True
    first = next((n for n, name in enumerate(names) if _FILE.search(name)), len(names))
    files, folder = names[first:], "/".join(names[:first])
    if len(files) < 2 or not all(_FILE.search(name) for name in files):
        return False
    if folder:
        return all(_found_path_itself(f"{folder}/{name}", evidence.text) is not None for name in files)
    return all(_found_path(name, evidence.text, evidence) is not None for name in files)


def _stem_and_extension(name: str, text: str) -> bool:
    """A file's name code puts together from its stem and its extension, each the end of a string, a few
    lines apart: `cubin_prefix + "kernel_map"` and `f"{indice_path}.json"` (or `file_extension=".json"`); a glob's
    stem before its `*` (`prime_rl_logging_*.json`: `mkstemp(prefix="prime_rl_logging_", suffix=".json")`)."""
    stem, dot, extension = name.rpartition(".")
    stem = stem[:-1] if stem.endswith("*") and len(stem) > 4 else stem
    if not (stem and dot and _FILE.search(name)):
        return False
    for quote in "\"'":
        at = text.find(stem + quote)
        while at >= 0:
            if at > 0 and text[at - 1] in "\"'/}":
                near = text[max(0, at - _NEAR) : at + _NEAR]
                if any(f"{before}.{extension}{end}" in near for before in "\"'}" for end in "\"'"):
                    return True
            at = text.find(stem + quote, at + 1)
    return False


_NEAR = 400  # characters either side: the few lines of one hunk


def _numbered(names: list[str], evidence: Evidence) -> bool:
    """Files or names that differ in a number, the numbers joined by "/" (`flash_fwd_hdim64/128/256_bf16_sm90.cu`,
    `gfx1100/1101/1201`, `hdim64/96/128`, `cu102/cu113/cu116-Linux.sh`, `llama2_7b/13b/70b.toml`,
    `qwen3-vl-2b/4b-eagle3-mrope.json`): each shown."""
    joined = "/".join(names)
    if lead := _LEAD.match(joined):  # the letters written before each number (`cu102/cu113/cu116-Linux.sh`)
        joined = joined.replace("/" + lead[1], "/")
    m = _NUMBERS.fullmatch(joined)
    if m is None:
        return False
    each = [f"{m[1]}{n}{m[5]}" for n in [m[2] + m[3], *m[4].split("/")[1:]]]
    if _FILE.search(m[5]):
        return all(_found_path_itself(name, evidence.text) for name in each)
    return all(_name_found(evidence, name) for name in each)


def _substituted(names: list[str], evidence: Evidence) -> bool:
    """A path written through a variable the evidence sets (`BENCHMARK_DIR = benchmark/scripts` and
    `$(BENCHMARK_DIR)/benchmark_*.py`; `${ROOT}/run.sh`, `$ROOT/run.sh`): the variable's value in its place."""
    path = "/".join(names)
    for name, value in _ASSIGNED.findall(evidence.text):
        rest = path.removeprefix(value.rstrip("/") + "/")
        used = rf"\$(?:\({name}\)|\{{{name}\}}|{name}(?!\w))/{re.escape(rest)}(?![\w.])"
        if rest != path and re.search(used, evidence.text):
            return True
    return False


_ASSIGNED = lazy_compile(  # `NAME = value`, `NAME := value`, `export NAME="value"`
    r"^[+ -]?[ \t]*(?:export[ \t]+)?([A-Za-z_]\w*)[ \t]*[:?]?=[ \t]*[\"']?([\w./+-]+?)/?[\"']?[ \t]*$",
    re.MULTILINE | re.ASCII,
)
_LEAD = lazy_compile(r"(?:.*?[^A-Za-z])?([A-Za-z]+)\d+/\1\d", re.ASCII)
# a number's unit, the same after each (`7b/13b/70b`)
_NUMBERS = lazy_compile(r"(.*?[A-Za-z_-])(\d+)([A-Za-z]*)((?:/\d+\3)+)((?:[^/\d][^/]*)?)")


def _tool_or_file(names: list[str], evidence: Evidence) -> bool:
    """A tool and a file joined by "/" for prose's "or" (`pip/setup.py`: "pip install" and `setup.py`), the tool a
    word of `claims.toml`'s `commands`."""
    return (
        len(names) == 2
        and names[0] in _rules().commands
        and _find_word(evidence.text, names[0]) >= 0
        and _found_path(names[1], evidence.text, evidence) is not None
    )


_PUT_TOGETHER = (
    _module_attribute,
    _quoted_parts,
    _imported,
    _dotted_folder,
    _folder_and_file,
    _spaced_list,
    _last_word_swapped,
    _name_list,
    _values,
    _action,
    _file_list,
    _numbered,
    _substituted,
    _tool_or_file,
)
_FILE = lazy_compile(r"\.(?:py|pyi|pyx|cu|cuh|h|hh|hpp|cpp|cc|cxx|c|inc|inl|md|rst|txt|toml|yaml|yml|json|cfg|ini|sh"
                   r"|cmake|in|jinja|j2|rs|go|js|ts|proto|lock|mk)$")  # fmt: skip


def _found_path_itself(claim: str, text: str) -> str | None:
    path = claim.rstrip("/")
    for prefix in ("./", "a/", "b/", "/"):
        if path.startswith(prefix) and _find_word(text, path) < 0:
            path = path[len(prefix) :]
    parts = path.split("/")
    while parts:
        candidate = "/".join(parts)
        if text.find(candidate) >= 0:
            return candidate
        if len(parts) <= 2:
            break
        parts = parts[1:]
    return None


_MATCH: dict[str, Callable[[str, _Kind, Evidence, str], str | None]] = {
    "flag": lambda claim, kind, evidence, surface: _by_flag(claim, kind, evidence),
    "verbatim": _by_name,
    "folded": _by_name,
    "code": lambda claim, kind, evidence, surface: _found_code(claim, evidence),
    "path": lambda claim, kind, evidence, surface: _found_path(claim, evidence.text, evidence),
    "version": lambda claim, kind, evidence, surface: _by_version(claim, kind, evidence),
    "reference": lambda claim, kind, evidence, surface: _by_reference(claim, kind, evidence),
    "commit": _by_commit,
    "percent": _by_number,
    "multiple": _by_number,
    "unit": _by_number,
    "number": _by_number,
}


# tracing -----------------------------------------------------------------------------------------


_ALNUM = lazy_compile("[A-Za-z0-9]")


def claims_in(text: str) -> list[tuple[str, _Kind, int, int]]:
    """The claims of ``text``: (claim, its kind, start, end), in the order they stand, each span read once
    (``text[start:end]`` is the claim as written)."""
    rules = _rules()
    taken = bytearray(len(text))  # 1 where an earlier kind's claim stands
    found: list[tuple[str, _Kind, int, int]] = []
    pieces = _pieces(text)
    words: list[tuple[int, int]] = []
    for kind in rules.kinds:
        if kind.word and kind.needs is not None:
            # the words holding its needs where no earlier kind's claim stands (no word crosses a join)
            words = words or [m.span() for m in _WORD_RUN.finditer(text)]
            spans = _words_holding(kind.needs, text, words, taken)
        else:  # the texts of the join holding its needs
            spans = [
                (a, b) for a, b in pieces if kind.needs is None or kind.needs.search(text, a, b) is not None
            ]
        for at, to in spans:
            for m in kind.pattern.finditer(text, at, to):
                start, end = m.span()
                if taken.find(1, start, end) >= 0:
                    continue
                claim = m.group(kind.group)
                taken[start:end] = b"\x01" * (end - start)
                if not claim:  # a span read only to be passed over (a code span of one letter)
                    continue
                low = claim.lower()
                # not a claim: a word of `rules.not_claims`, a placeholder, or punctuation alone (`... ,`)
                if (
                    not rules.not_claims.isdisjoint((low, low.rstrip("()")))
                    or rules.placeholder_names.fullmatch(claim.rstrip("()"))
                    or not _ALNUM.search(claim)
                ):
                    continue
                if kind.min_value and float(claim.replace(",", "")) < kind.min_value:
                    continue
                found.append((claim, kind, start, end))
    return sorted(found, key=lambda item: item[2])


_WORD_RUN = lazy_compile(r"[!-~]+")  # a word: ASCII letters, digits and punctuation


def _words_holding(
    needs: re.Pattern[str], text: str, words: list[tuple[int, int]], taken: bytearray
) -> list[tuple[int, int]]:
    """The words where ``needs`` stands outside a claim already taken, each with the character after it (what a
    pattern's look-ahead reads)."""
    spans: list[tuple[int, int]] = []
    for hit in needs.finditer(text):
        if taken[hit.start()]:
            continue
        index = bisect.bisect_right(words, (hit.start(), len(text))) - 1
        at, to = words[index] if index >= 0 else (0, 0)
        if to <= hit.start():  # not in a word (a digit of another script): no claim of the kind holds it
            continue
        if not spans or spans[-1][0] != at:
            spans.append((at, min(to + 1, len(text))))
    return spans


def _pieces(text: str) -> list[tuple[int, int]]:
    """Where each text of a join (``_JOIN``: no claim crosses it) starts and ends: a kind is read only in the
    texts that hold its ``needs``."""
    spans, start = [], 0
    while (at := text.find(_JOIN, start)) >= 0:
        spans.append((start, at))
        start = at + len(_JOIN)
    return [*spans, (start, len(text))]


def trace(text: str, evidence: Evidence, *, located: bool = False) -> list[TracedClaim]:
    """Each claim of ``text`` and where it is in the evidence (``where`` None: not found). ``located``
    works out the place (diff file:line, message, …) of each found claim; else it says only "found"."""
    traced = []
    for claim, kind, start, end in claims_in(text):
        hit = _found(claim, kind, evidence, text[start:end].strip(), anywhere=not located)
        where = None
        if hit is not None:
            where = (
                evidence.where(hit, folded=kind.match == "folded" and hit not in evidence.text)
                if located
                else "found"
            )
        traced.append(TracedClaim.model_construct(text=claim, kind=kind.name, where=where))
    return traced


# sentences ---------------------------------------------------------------------------------------

_SENTENCE_END = lazy_compile(r"(?<=[。！？；])|(?<=[.!?;])\s+(?=[^\sa-z])")
_CODE_SPAN = lazy_compile(r"`[^`\n]+`")


def sentences(text: str) -> list[str]:
    """``text`` as its sentences, each with the space after it, so joining them gives ``text`` back; none ends
    inside a code span (`... ,`)."""
    pieces, start = [], 0
    spans = [m.span() for m in _CODE_SPAN.finditer(text)]
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start and not any(a < m.start() < b for a, b in spans):
            pieces.append(text[start : m.end()])
            start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@dataclass
class _Tally:
    unverified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    claims: list[TracedClaim] = field(default_factory=list)

    def distinct(self) -> tuple[int, int]:
        """Claims checked and supported, each claim counted once however often the text says it."""
        found = {c.text: c.where is not None for c in self.claims}
        return len(found), sum(found.values())


def _apply(text: str, evidence: Evidence, mode: str, language: str, tally: _Tally, located: bool = True,
           shown: Mapping[str, str] | None = None) -> str:  # fmt: skip
    """One text with its unsupported sentences removed (``repair``) or marked (``mark``); a claim in
    ``shown`` (see ``cited``) is supported where the model's line stands."""
    kept = []
    for sentence in sentences(text):
        traced = trace(sentence, evidence, located=located)
        if shown:
            traced = [c if c.where or c.text not in shown else c.model_copy(update={"where": shown[c.text]})
                      for c in traced]  # fmt: skip
        tally.claims.extend(traced)
        missing = [c.text for c in traced if c.where is None]
        if not missing:
            kept.append(sentence)
            continue
        tally.unverified.extend(m for m in missing if m not in tally.unverified)
        tally.removed.append(sentence.strip())
        if mode == "mark":
            body = sentence.rstrip()
            note = MARK.get(language, MARK["en"]).format(claims=", ".join(missing))
            kept.append(f"{body} {note}{sentence[len(body) :]}")
    result = "".join(kept).strip()
    if not result and text.strip() and mode != "mark":
        return EMPTIED.get(language, EMPTIED["en"])
    return result


def unsupported(analysis: Analysis, evidence: Evidence) -> list[str]:
    """The claims of an analysis's text that the evidence does not show (each once, in order)."""
    missing: list[str] = []
    for text in _texts(analysis):
        for claim in trace(text, evidence):
            if claim.where is None and claim.text not in missing:
                missing.append(claim.text)
    return missing


_JOIN = "\n\x00\n"


def traced(analysis: Analysis, evidence: Evidence) -> list[TracedClaim]:
    """Every claim of an analysis's text with the place the evidence shows it (``--claims``)."""
    return [claim for text in _texts(analysis) if text for claim in trace(text, evidence, located=True)]


def _texts(analysis: Analysis) -> list[str]:
    ins = analysis.insights
    return [analysis.importance_reason, analysis.summary, *analysis.impact, ins.architecture, ins.performance,
            ins.security, *analysis.risks, *analysis.recommendations]  # fmt: skip


def ground(
    analysis: Analysis,
    evidence: Evidence,
    mode: str,
    language: str,
    *,
    repaired: int = 0,
    located: bool = True,
    shown: Mapping[str, str] | None = None,
) -> Analysis:
    """The analysis as it may be published, with its ``grounding``: every claim traced; with ``repair``
    (after the repair request: ``repaired`` claims it fixed, ``shown`` the claims it showed by a line it was
    shown, see ``cited``) a sentence still unsupported is removed, with ``mark`` marked; ``off``: the
    analysis as it is."""
    if mode == "off":
        return analysis
    tally = _Tally()
    if mode == "trace":  # counted, nothing changed (the rules analyser: a claim it makes is in the diff)
        # One pass over the texts joined (a NUL line: no claim pattern crosses it); sentences only for a text
        # holding a claim not found, to keep the sentence it stood in.
        joined = _JOIN.join(filter(None, _texts(analysis)))
        named = claims_in(joined)
        # each claim as written looked for once: the rules repeat a path in summary, risks and recommendations
        written = {(claim, kind.name, joined[start:end].strip()): kind for claim, kind, start, end in named}
        if all(_found(claim, kind, evidence, surface, anywhere=True) is not None
               for (claim, _, surface), kind in written.items()):  # fmt: skip
            checked = supported = len({claim for claim, *_ in named})
        else:
            for text in filter(None, _texts(analysis)):
                _apply(text, evidence, "mark", language, tally, located=False)
            checked, supported = tally.distinct()
        # The trace is not kept: `--claims` traces the text again against the commit, with places.
        grounding = Grounding.model_construct(checked=checked, supported=supported, unverified=tally.unverified, action="none",
                              removed=tally.removed)  # fmt: skip
        return analysis.model_copy(update={"grounding": grounding})

    def fix(text: str) -> str:
        return _apply(text, evidence, mode, language, tally, located, shown) if text else text

    def fix_list(items: Sequence[str]) -> list[str]:
        fixed = [fix(item) for item in items]
        emptied = EMPTIED.get(language, EMPTIED["en"])
        kept = [item for item in fixed if item and item != emptied]
        return kept or ([emptied] if items and mode != "mark" else [])

    ins = analysis.insights
    update = {
        "importance_reason": fix(analysis.importance_reason),
        "summary": fix(analysis.summary),
        "impact": fix_list(analysis.impact),
        "insights": Insights(
            architecture=fix(ins.architecture), performance=fix(ins.performance), security=fix(ins.security)
        ),
        "risks": fix_list(analysis.risks),
        "recommendations": fix_list(analysis.recommendations),
    }
    unverified = tally.unverified
    action = ("marked" if mode == "mark" else "removed") if unverified else "repaired" if repaired else "none"
    if not unverified and not repaired:
        update = {}  # nothing to change: the text stays byte for byte
    checked, supported = tally.distinct()
    grounding = Grounding.model_construct(
        checked=checked + repaired, supported=supported, unverified=unverified, action=action,
        repaired=repaired, removed=tally.removed, claims=tally.claims,
    )  # fmt: skip
    return analysis.model_copy(update={**update, "grounding": grounding})


def ground_texts(
    texts: Mapping[K, str], evidence: Evidence, mode: str, language: str
) -> tuple[dict[K, str], Grounding | None]:
    """A summary's texts by key (an overview's lines, a week's summary and themes, release notes' overview
    and entries) held against the analyses they summarise: the same rule as an analysis's, without a repair
    request; a text left with nothing is "" (its caller keeps its own, or drops it)."""
    if mode == "off":
        return dict(texts), None
    tally = _Tally()
    emptied = EMPTIED.get(language, EMPTIED["en"])
    fixed = {key: _apply(t, evidence, mode, language, tally) if t else t for key, t in texts.items()}
    if not tally.unverified:
        fixed = dict(texts)
    checked, supported = tally.distinct()
    action = ("marked" if mode == "mark" else "removed") if tally.unverified else "none"
    grounding = Grounding.model_construct(
        checked=checked, supported=supported, unverified=tally.unverified, action=action
    )
    if tally.unverified:
        log.info(
            "%d claim(s) of a summary %s: %s", len(tally.unverified), action, ", ".join(tally.unverified)
        )
    return {key: ("" if t == emptied else t) for key, t in fixed.items()}, grounding


def day_grounding(groundings: Iterable[Grounding | None]) -> GroundingStats:
    """A day's figures (``stats.grounding``): the sum over its analyses' (and its overview's)."""
    found = [g for g in groundings if g is not None]
    return GroundingStats.model_construct(
        checked=sum(g.checked for g in found),
        supported=sum(g.supported for g in found),
        repaired=sum(g.repaired for g in found),
        removed=sum(len(g.unverified) for g in found if g.action == "removed"),
        marked=sum(len(g.unverified) for g in found if g.action == "marked"),
    )


# cited -------------------------------------------------------------------------------------------

_PIECE = lazy_compile(r"[a-z]+|\d+")
_CITE_MIN = 6  # characters of a line, spaces aside: shorter is a word, not a line
_DASHES = lazy_compile(r"^-+(?=[A-Za-z])")  # a flag's: a piece of it


def cited(
    shown: object, claims: Sequence[str], evidence: Evidence, *, repair: bool = False
) -> dict[str, str]:
    """The claims a repair answer, or the answer to a request for lines, keeps as shown in another form, each with
    the line it copied from what it was shown (its ``shown``: ``[{"claim", "line"}]``; a claim written with words
    around it stands for the one listed: "10 GB of swap" for 10): claim → where its line is ("cited, diff
    path:line"). The line must stand in the evidence (spaces aside, a diff line with or without its ``+``/``-``).
    For a request for lines it must carry every letter run and number of the claim in its order, each a whole part
    of a word (`max_pages` in `max_num_pages_per_seq = 64`, `INT64_MAX` in `std::numeric_limits<int64_t>::max()`),
    a flag with its dashes (`--backends`, not the word "backends"), a part written `<placeholder>` left out
    (`dist_epoch_<n>` in `prefix = "dist_epoch"`). A ``repair`` answer (asked to write the claims out, it keeps one
    only to show it) needs every number and half of them at least, single letters aside (`80` GB by `80 *
    (10**9)`, `min(h, 8)` by `(h <= 8) ? h : 8`; not `1e-3` by `+ 1e-6`), a claim of numbers alone in their order
    (not 2.5.0 by `torch>=2.4.0,<2.5.2`); a request for lines gets looser lines and
    keeps the whole rule (the measurements: bench/data/claims_real/README.md). (Code the line holds as written, its
    spaces or brackets aside, the tracer finds itself: `(1, 0)` in `return 1, 0`.)"""
    found: dict[str, str] = {}
    for item in shown if isinstance(shown, list) else []:
        said, line = (item.get("claim"), item.get("line")) if isinstance(item, dict) else (None, None)
        if not isinstance(said, str) or not isinstance(line, str):
            continue
        spaced = " ".join(line.split())
        if spaced[:1] in "+-" and evidence.spaced.find(spaced) < 0:
            spaced = spaced[1:].strip()
        if len(spaced.replace(" ", "")) < _CITE_MIN or evidence.spaced.find(spaced) < 0:
            continue
        # the claim as listed, or written with words around it ("10 GB of swap" for 10, "`k k^T`")
        named = [said] if said in claims else [c for c in claims if _find_word(said, c) >= 0]
        for claim in (c for c in named if c not in found):
            if _shows(spaced, claim, repair):
                hit = spaced if spaced in evidence.text else max(spaced.split(" "), key=len)
                found[claim] = f"cited, {evidence.where(hit)}"
    return found


def _shows(line: str, claim: str, repair: bool) -> bool:
    pieces = _PIECE.findall(_rules().angled.sub(" ", claim).lower())
    if not any(piece.isalpha() for piece in pieces):  # nothing but tags: they are the claim (`<think>`)
        pieces = _PIECE.findall(claim.lower())
    named = [piece for piece in pieces if len(piece) > 1 or piece.isdigit()]
    carried = [_in_order(line, [piece]) for piece in named]
    return _carries(line, pieces, "".join(_DASHES.findall(claim.strip()))) or (
        repair
        and 2 * sum(carried) >= len(named) > 0
        and all(shown for piece, shown in zip(named, carried, strict=True) if piece.isdigit())
        and (
            any(piece.isalpha() for piece in named) or _in_order(line, named)
        )  # numbers alone: in their order
    )


def _carries(line: str, pieces: list[str], dashes: str = "") -> bool:
    """Every piece stands in ``line`` in the claim's order, each a whole part of a word: between
    non-letters, at a turn from letters to digits or to a capital (`int` and `64` in `int64_t`, `pages` in
    `max_num_pages`; not `mm` in `gemm`); the last one also as a plural (`spec` in `specs`), single letters
    also written together (`q/k/v/o` in `qkvo`). A claim of one or two numbers alone is not carried by a
    line (any line may hold them); a version of three parts is (`0.2.8` in `v0_2_8_…`). A flag's first
    piece stands with its ``dashes``."""
    if not (any(piece.isalpha() for piece in pieces) or len(pieces) >= 3):
        return False
    if dashes:
        return _in_order(line, [dashes + pieces[0], *pieces[1:]])
    letters = len(pieces) > 1 and all(len(piece) == 1 and piece.isalpha() for piece in pieces)
    return _in_order(line, pieces) or (letters and _in_order(line, ["".join(pieces)]))


def _in_order(line: str, pieces: list[str]) -> bool:
    low, at = line.lower(), 0
    for n, piece in enumerate(pieces):
        tails = ("", "s", "es") if n == len(pieces) - 1 else ("",)
        ends = (m.end() + len(t) for m in re.finditer(re.escape(piece), low) if m.start() >= at
                for t in tails if low.startswith(t, m.end()) and _whole(line, m.start(), m.end() + len(t)))  # fmt: skip
        at = next(ends, -1)
        if at < 0:
            return False
    return True


def _whole(line: str, start: int, end: int) -> bool:
    def turn(a: str, b: str) -> bool:
        return (
            not (a.isalnum() and b.isalnum()) or a.isdigit() != b.isdigit() or (a.islower() and b.isupper())
        )

    return (start == 0 or turn(line[start - 1], line[start])) and (
        end == len(line) or turn(line[end - 1], line[end])
    )
