"""The token budget (analysis/budget.py) as pure functions, with every figure worked out by hand: the fast
unit tests `make mutation` runs against it (prompts end to end, and the property over random commits, are
in tests/test_llm_budget.py)."""

from __future__ import annotations

import pytest

from dailydiff.analysis.budget import (
    MESSAGE_OVERHEAD,
    DiffSelection,
    FileBlock,
    Omitted,
    clip_text,
    estimate_messages,
    estimate_tokens,
    exclusion_reason,
    file_header,
    relevance_key,
    select_diff,
    split_hunks,
)
from dailydiff.models import FileChange, FileStatus


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("abcde", 2),  # 5 / 2.5
        ("abcdef", 3),  # 2.4, rounded up
        ("a", 1),
        ("中文字", 3),  # one a CJK character
        ("中a", 2),  # 1 + ⌈1 / 2.5⌉
        ("かな한글", 4),  # kana and hangul count as CJK too
        ("中文abcde", 4),
    ],
)
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_estimate_messages_adds_the_overhead_of_each_message() -> None:
    assert MESSAGE_OVERHEAD == 8
    assert estimate_messages([{"role": "system", "content": "abcde"}, {"role": "user"}]) == 2 + 8 + 0 + 8
    assert estimate_messages([]) == 0


def test_split_hunks_keeps_the_text_before_the_first_hunk_with_it() -> None:
    assert split_hunks("") == []
    assert split_hunks("Binary files differ\n") == ["Binary files differ\n"]
    patch = "diff header\n@@ -1 +1 @@\n-a\n+b\n@@ -9 +9 @@ x @@ y\n+c\n"
    assert split_hunks(patch) == ["diff header\n@@ -1 +1 @@\n-a\n+b\n", "@@ -9 +9 @@ x @@ y\n+c\n"]
    assert split_hunks("@@ -1 +1 @@\n+a\n") == ["@@ -1 +1 @@\n+a\n"]
    assert "".join(split_hunks(patch)) == patch


def test_file_header_names_a_move_the_status_and_the_counts() -> None:
    moved = FileChange(path="b.py", previous_path="a.py", status=FileStatus.RENAMED, additions=3, deletions=1)
    assert file_header(moved) == "b.py ← a.py (renamed, +3/−1)"
    same = FileChange(path="b.py", previous_path="b.py", additions=0, deletions=2)
    assert file_header(same) == "b.py (modified, +0/−2)"


def long_line(length: int) -> str:
    return "+" + "x" * (length - 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (FileChange(path="src/a.py", patch="@@\n+x\n", generated=True), "generated"),
        (FileChange(path="gen/api_pb2.py", patch="@@\n+x\n"), "generated"),
        (FileChange(path="img/logo.png", binary=True), "binary"),
        (FileChange(path="src/a.py", patch=None), "no_patch"),
        (FileChange(path="src/a.py", patch=""), "no_patch"),
        (
            FileChange(path="web/app.js", patch=long_line(1001) + "\n" + long_line(1000)),
            "minified",
        ),  # 2002 / 2 lines
        (
            FileChange(path="web/app.js", patch=long_line(1000) + "\n" + long_line(999)),
            None,
        ),  # 1000 a line: not yet
        (FileChange(path="src/a.py", patch=long_line(1000) + "\n"), None),
        (FileChange(path="src/a.py", patch="@@\n+x\n"), None),
    ],
)
def test_exclusion_reasons(change: FileChange, reason: str | None) -> None:
    assert exclusion_reason(change) == reason


def test_relevance_puts_source_first_then_bigger_changes_then_the_path() -> None:
    def change(path: str, size: int = 1) -> FileChange:
        return FileChange(path=path, additions=size, deletions=size)

    files = [change("docs/a.md", 99), change("tests/test_a.py", 50), change(".github/workflows/ci.yml"),
             change("pyproject.toml"), change("src/b.py", 1), change("src/a.py", 1), change("src/c.py", 5),
             change("img/x.png", 9), change("config/app.yaml")]  # fmt: skip
    ranked = [c.path for c in sorted(files, key=relevance_key)]
    assert ranked == ["src/c.py", "src/a.py", "src/b.py", "config/app.yaml", "pyproject.toml",
                      ".github/workflows/ci.yml", "tests/test_a.py", "docs/a.md", "img/x.png"]  # fmt: skip
    assert relevance_key(change("src/a.py", 3)) == (0, -6, "src/a.py")
    assert relevance_key(change("x_pb2.py"))[0] == 6


HUNK = "@@ -1 +1 @@\n+abcdefghij\n"  # 24 characters: 10 tokens (two: 20; three, 72 characters: 29)


def source(path: str, hunks: int, size: int = 1) -> FileChange:
    return FileChange(path=path, patch=HUNK * hunks, additions=size)


def header_cost(change: FileChange) -> int:
    return estimate_tokens(file_header(change)) + 4


def test_a_file_that_fits_is_taken_whole_and_the_budget_is_spent_exactly() -> None:
    one = source("src/a.py", 2)
    exact = header_cost(one) + 20
    selected = select_diff([one], exact)
    assert selected.blocks == [FileBlock("src/a.py", file_header(one), HUNK * 2, 2, 2)]
    assert selected.omitted == [] and selected.unseen_files == []
    assert not selected.blocks[0].clipped


def test_a_file_that_does_not_fit_is_clipped_at_a_hunk_and_said() -> None:
    one = source("src/a.py", 3)
    assert select_diff([one], header_cost(one) + 29).blocks[0].hunks_shown == 3  # whole: 29
    selected = select_diff([one], header_cost(one) + 28)  # two hunks of 10, not a third
    assert selected.blocks == [FileBlock("src/a.py", file_header(one), HUNK * 2, 2, 3)]
    assert selected.blocks[0].clipped and selected.unseen_files == ["src/a.py (2/3 hunks)"]


def test_what_is_left_after_one_file_goes_to_the_next_and_what_does_not_fit_is_listed() -> None:
    first, second, third = source("src/a.py", 1, size=9), source("src/b.py", 1, size=5), source("src/c.py", 1)
    budget = header_cost(first) + 10 + header_cost(second) + 10  # exactly two whole files
    selected = select_diff([third, second, first], budget)
    assert [b.path for b in selected.blocks] == ["src/a.py", "src/b.py"]  # the bigger changes first
    assert selected.omitted == [Omitted("src/c.py", "budget")]
    less = select_diff([third, second, first], budget - 1)  # b's one hunk no longer fits
    assert [b.path for b in less.blocks] == ["src/a.py"]
    assert less.omitted == [
        Omitted("src/c.py", "budget"),
        Omitted("src/b.py", "budget"),
    ]  # in the commit's order


def test_a_small_file_still_fits_after_a_big_one_is_left_out() -> None:
    big, small = source("src/big.py", 1, size=100), FileChange(path="src/s.py", patch="+x\n", additions=1)
    big = big.model_copy(update={"patch": HUNK * 50})
    selected = select_diff([big, small], header_cost(small) + 2)
    assert [b.path for b in selected.blocks] == ["src/s.py"] and selected.omitted == [
        Omitted("src/big.py", "budget")
    ]


def test_left_out_files_keep_the_commits_order_and_their_reasons() -> None:
    files = [FileChange(path="img/a.png", binary=True), source("src/a.py", 1),
             FileChange(path="package-lock.json", patch="+{}\n"), FileChange(path="src/empty.py")]  # fmt: skip
    selected = select_diff(files, -5)  # a negative budget is none
    assert selected.blocks == []
    assert selected.omitted == [Omitted("img/a.png", "binary"), Omitted("src/a.py", "budget"),
                                Omitted("package-lock.json", "generated"), Omitted("src/empty.py", "no_patch")]  # fmt: skip
    assert selected.unseen_files == ["img/a.png", "src/a.py", "package-lock.json", "src/empty.py"]
    assert DiffSelection().unseen_files == []


def test_clip_text_keeps_whole_lines_and_marks_the_cut() -> None:
    text = "aaaaa\nbbbbb\nccccc\nddddd\n"  # 6 characters a line: 3 tokens each; 24 characters: 10
    assert clip_text(text, 10) == text
    marker = estimate_tokens("\n[…]")  # 2
    assert clip_text(text, 3 + marker) == "aaaaa\n[…]"
    assert clip_text(text, 6 + marker) == "aaaaa\nbbbbb\n[…]"
    assert clip_text(text, 6 + marker - 1) == "aaaaa\n[…]"
    assert clip_text(text, marker) == "" and clip_text(text, 1) == ""
    assert clip_text(text, 7, marker=" (cut)") == "aaaaa (cut)"


def test_one_long_line_is_cut_by_characters() -> None:
    assert clip_text("x" * 100, 12) == "x" * 10 + "\n[…]"
    assert clip_text("x" * 100 + "\nmore\n", 12) == "x" * 10 + "\n[…]"


def test_clip_text_drops_only_the_newline_before_the_marker() -> None:
    assert clip_text("keep two  \n" + "y" * 40 + "\n", 7) == "keep two  \n[…]"  # its trailing spaces too
    assert clip_text("ends in X\n" + "y" * 40 + "\n", 6) == "ends in X\n[…]"


def test_hunks_that_fill_the_budget_exactly_are_taken() -> None:
    one = source("src/a.py", 3)
    selected = select_diff([one], header_cost(one) + 20)  # whole: 29; two hunks: exactly 20
    assert selected.blocks[0].hunks_shown == 2


def test_a_clipped_file_spends_what_it_took_and_no_more() -> None:
    clipped, small = source("src/a.py", 3, size=9), FileChange(path="src/b.py", patch="+x\n", additions=1)
    budget = header_cost(clipped) + 28  # a: two hunks (20), leaving 8: too little for b (its header alone)
    selected = select_diff([clipped, small], budget)
    assert [(b.path, b.hunks_shown) for b in selected.blocks] == [("src/a.py", 2)]
    assert selected.omitted == [Omitted("src/b.py", "budget")]
