"""`dailydiff search` and `dailydiff ask`: a full-text index over every reported commit, kept current by
every stored report, built for old stores by a migration, the same on SQLite and PostgreSQL; answers cite
only retrieved commits, and a re-asked question asks nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from clirun import watched_exit
from dailydiff.search import find
from dailydiff.search.ask import check_answer
from dailydiff.store import Store
from dailydiff.store.search import SearchDoc, SearchFilters
from fake_llm import FakeLLM
from gitrepo import CommitSpec, FileEdit, build_repo
from opsfixtures import cli_env, dailydiff

UTC = dt.UTC
DAY1, DAY2, DAY3 = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 4, 14)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


SPECS = [
    CommitSpec("feat(attention): add a paged KV cache for the decode backend", _at(DAY1, 9),
               edits=[FileEdit("flashinfer/attention/decode.py", "def decode():\n    return 1\n" * 30)]),
    CommitSpec("fix(sampling): guard top-p search against NaN logits", _at(DAY1, 11),
               edits=[FileEdit("flashinfer/sampling.py", "def top_p():\n    return 2\n" * 20)]),
    CommitSpec("docs: explain the FP8 GEMM autotuner cache", _at(DAY2, 10),
               edits=[FileEdit("docs/gemm.rst", "FP8 GEMM\n========\n" * 10)]),
    CommitSpec("perf(gemm): faster FP8 GEMM on SM120", _at(DAY2, 12),
               edits=[FileEdit("flashinfer/gemm/fp8_gemm.py", "def gemm():\n    return 3\n" * 40)]),
    CommitSpec("修复注意力后端在长序列下的越界访问", _at(DAY3, 8),
               edits=[FileEdit("flashinfer/attention/prefill.py", "def prefill():\n    return 4\n" * 25)]),
]  # fmt: skip


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    repo = tmp_path / "flashinfer"
    shas = build_repo(repo, SPECS)
    data = tmp_path / "data"
    for day in (DAY1, DAY2, DAY3):
        dailydiff("report", str(repo), "--date", day.isoformat(), "--tz", "UTC", "--lang", "en",
                  "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    return repo, data, shas


def _reported(
    tmp_path: Path, name: str, specs: list[CommitSpec], day: dt.date, data: Path | None = None
) -> tuple[Path, list[str]]:
    """A repository ``name`` of ``specs`` under ``tmp_path``, its ``day`` reported in English into ``data``
    (``tmp_path/data`` unless given): the data directory and the commits' shas."""
    repo = tmp_path / name
    shas = build_repo(repo, specs)
    data = data or tmp_path / "data"
    dailydiff("report", str(repo), "--date", day.isoformat(), "--tz", "UTC", "--lang", "en",
              "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    return data, shas


def _shas(store: Store, question: str, **filters: object) -> list[str]:
    return [h.doc.sha for h in find(store, question, SearchFilters(**filters), limit=10).hits]  # type: ignore[arg-type]


def test_search_finds_by_title_path_and_language_with_filters(history: tuple[Path, Path, list[str]]) -> None:
    _repo, data, shas = history
    with Store.open(data) as store:
        assert _shas(store, "attention backend")[0] == shas[0]
        assert set(_shas(store, "attention backend")[:2]) == {shas[0], shas[4]}  # the Chinese one by its path
        # Chinese words: their own characters first, then the English commit they name (glossary.toml)
        assert _shas(store, "注意力后端") == [shas[4], shas[0]]
        assert _shas(store, "FP8 GEMM")[:2] == [shas[3], shas[2]]  # the change before the docs
        assert _shas(store, "FP8 GEMM", change_types=["docs"]) == [shas[2]]
        assert _shas(store, "FP8 GEMM", date_from=DAY2, date_to=DAY2, path_glob="flashinfer/gemm/*") == [
            shas[3]
        ]
        assert _shas(store, "attention", date_from=DAY3) == [shas[4]]
        assert _shas(store, "attention", repos=["someone/else"]) == []
        assert _shas(store, "sampling NaN") == [shas[1]]
        assert _shas(store, "zzzunheardof") == []


def test_the_index_follows_every_report_and_is_built_for_an_old_store(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    repo, data, shas = history
    # A late commit of DAY1: the day is built again, and the index has it.
    late = CommitSpec("feat(moe): fused MoE routing kernel", _at(DAY1, 20),
                      edits=[FileEdit("flashinfer/moe/routing.py", "def route():\n    return 5\n" * 30)])  # fmt: skip
    from gitrepo import commit as make_commit

    late_sha = make_commit(repo, late)
    dailydiff("report", str(repo), "--date", DAY1.isoformat(), "--tz", "UTC", "--lang", "en",
              "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    with Store.open(data) as store:
        assert _shas(store, "MoE routing") == [late_sha]
        assert len(_shas(store, "flashinfer", date_from=DAY1, date_to=DAY1)) == 3  # replaced, not doubled
    # A store written before the index existed: opening it builds the index from its reports.
    db = sqlite3.connect(data / "dailydiff.sqlite3")
    for table in ("search_docs", "search_fts", "search_answers"):
        db.execute(f"DROP TABLE {table}")
    db.execute("DELETE FROM migrations WHERE name = 'm008_search'")
    db.commit()
    db.close()
    with Store.open(data) as store:
        assert _shas(store, "注意力后端")[0] == shas[4] and _shas(store, "MoE routing") == [late_sha]
    # `store copy` into a new store: the copy answers the same.
    target = tmp_path / "copy.sqlite3"
    dailydiff("store", "copy", str(data / "dailydiff.sqlite3"), str(target), cwd=tmp_path)
    with Store.connect(target) as copied:
        assert _shas(copied, "FP8 GEMM")[:2] == [shas[3], shas[2]]


def test_a_day_saved_again_unchanged_keeps_its_index_rows_and_a_changed_or_unindexed_day_gets_new_ones(
    history: tuple[Path, Path, list[str]],
) -> None:
    _, data, shas = history

    def titles() -> dict[str, str]:
        with sqlite3.connect(data / "dailydiff.sqlite3") as db:
            return dict(db.execute("SELECT sha, title FROM search_docs WHERE date = ?", (DAY1.isoformat(),)))

    def mark(sql: str, *args: object) -> None:  # the index changed behind the store's back
        with sqlite3.connect(data / "dailydiff.sqlite3") as db:
            db.execute(sql, args)

    with Store.open(data) as store:
        report = store.get_report("flashinfer", DAY1, "en")
        assert report is not None
        later = report.generated_at + dt.timedelta(hours=1)
        mark("UPDATE search_docs SET title = 'marked' WHERE sha = ?", shas[0])
        # A re-run's report: the same commits, another run and time. Its rows are not built again.
        store.save_report(report.model_copy(update={"generated_at": later}))
        assert titles()[shas[0]] == "marked" and set(titles()) == {shas[0], shas[1]}
        # A row gone: the day's rows are built again.
        mark("DELETE FROM search_docs WHERE sha = ?", shas[1])
        store.save_report(report.model_copy(update={"generated_at": later}))
        assert titles()[shas[0]].startswith("feat(attention)") and set(titles()) == {shas[0], shas[1]}
        # Commits that changed (an analysis, a title): built again.
        mark("UPDATE search_docs SET title = 'marked' WHERE sha = ?", shas[0])
        changed = [c.model_copy(update={"message": "fix(sampling): guard top-p against NaN"}) if c.sha == shas[1]
                   else c for c in report.commits]  # fmt: skip
        store.save_report(report.model_copy(update={"commits": changed}))
        assert titles() == {shas[0]: SPECS[0].message, shas[1]: "fix(sampling): guard top-p against NaN"}
        assert store.get_report("flashinfer", DAY1, "en").commits == changed  # type: ignore[union-attr]


@pytest.mark.slow
def test_postgres_ranks_exactly_like_sqlite(history: tuple[Path, Path, list[str]], pg_url: str) -> None:
    _repo, data, _ = history
    with Store.open(data) as local, Store.connect(pg_url) as shared:
        local.copy_to(shared)
        for question in ("attention backend", "FP8 GEMM", "注意力后端", "sampling NaN", "gemm cache docs"):
            mine = [(h.doc.sha, round(h.score, 9)) for h in find(local, question, SearchFilters()).hits]
            theirs = [(h.doc.sha, round(h.score, 9)) for h in find(shared, question, SearchFilters()).hits]
            assert mine == theirs and mine, question
        # The counts behind the ranking: PostgreSQL's one pass over the rows gives FTS5's numbers, for a
        # phrase, a word no commit holds and a word given twice alike.
        words = ["attent", "fp8 gemm", "注意 意力", "nowher", "gemm", "attent"]  # index terms (stemmed)
        assert shared.search_term_counts(words) == local.search_term_counts(words)
        total, counts = local.search_term_counts(words)
        assert total == 5 and counts["attent"] > 0 and counts["nowher"] == 0
        glob = SearchFilters(path_glob="flashinfer/attention/*")
        assert {h.doc.sha for h in find(shared, "attention", glob).hits} == {
            h.doc.sha for h in find(local, "attention", glob).hits
        }
        # Filters narrow the backend's own ranking before the text is fetched: the same commits either way.
        repo = find(local, "attention", SearchFilters()).hits[0].doc.repo
        for narrowed in (SearchFilters(date_from=DAY2), SearchFilters(repos=(repo,), date_to=DAY2),
                         SearchFilters(levels=("high", "medium"), change_types=("perf", "feature"))):  # fmt: skip
            mine = [h.doc.sha for h in find(local, "attention gemm backend", narrowed).hits]
            assert [h.doc.sha for h in find(shared, "attention gemm backend", narrowed).hits] == mine, (
                narrowed
            )
            assert mine or narrowed.levels, narrowed


def _term_count_pages(url: str, term: str) -> tuple[int, int]:
    """(pages a row-by-row count of ``term`` reads, pages of the table itself): the plan PostgreSQL picks
    for a common term."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("SET enable_bitmapscan = off")
        db.execute("SET enable_indexscan = off")
        row = db.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT COUNT(*) FROM search_docs "
            "WHERE tsv @@ to_tsquery('simple', %s)",
            (term,),
        ).fetchone()
        plan = row[0][0]["Plan"]  # type: ignore[index]
        heap = db.execute(
            "SELECT pg_relation_size('search_docs') / current_setting('block_size')::int"
        ).fetchone()[0]  # type: ignore[index]
    return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"], int(heap)


@pytest.mark.slow
def test_postgres_keeps_the_term_vectors_in_their_rows_and_moves_an_old_stores_there(
    history: tuple[Path, Path, list[str]], pg_url: str
) -> None:
    import psycopg

    _repo, data, _ = history
    with Store.open(data) as local, Store.connect(pg_url) as shared:
        local.copy_to(shared)
    # A store indexed before m013, with rows too long to keep whole (a commit message of many words): the
    # vectors went to the TOAST table, and a count read them back one by one (pages of it per row).
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'search_docs'::regclass AND attname = 'tsv'"
        ).fetchone() == ("m",)
        db.execute("ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE EXTENDED")
        db.execute(
            "UPDATE search_docs SET tsv = tsv || to_tsvector('simple', (SELECT string_agg(md5(sha || g), ' ') "
            "FROM generate_series(1, 150) AS g))"
        )
        db.execute("DELETE FROM migrations WHERE name = 'm013_search_terms_inline'")
        db.execute("VACUUM search_docs")
    pages, heap = _term_count_pages(pg_url, "flashinfer")
    assert pages > 2 * heap  # the setting is as described: each row's vector is fetched from TOAST
    with Store.connect(pg_url) as shared, Store.open(data) as local:
        assert "m013_search_terms_inline" in shared.applied_migrations()
        for question in ("attention backend", "FP8 GEMM"):  # the index answers as before
            assert [h.doc.sha for h in find(shared, question, SearchFilters()).hits] == [
                h.doc.sha for h in find(local, question, SearchFilters()).hits
            ]
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("VACUUM search_docs")
    pages, heap = _term_count_pages(pg_url, "flashinfer")
    assert pages <= heap  # the table's own pages only


def test_postgres_rebuilds_its_index_without_leaving_the_old_rows_behind(pg_url: str) -> None:
    """A rebuild on PostgreSQL (m014 on a store of the night before) leaves a table of the rebuilt rows only,
    as large as one built fresh: a search that reads it row by row reads no dead rows (DELETE left more)."""
    import psycopg

    from publish_reports import make_report

    with Store.connect(pg_url) as shared:
        for day in range(3):
            report = make_report(60)
            shared.save_report(report.model_copy(update={"date": report.date + dt.timedelta(days=day)}))

    def size() -> int:
        with psycopg.connect(pg_url, autocommit=True) as db:
            db.execute("VACUUM search_docs")
            return int(db.execute("SELECT pg_relation_size('search_docs')").fetchone()[0])  # type: ignore[index]

    fresh = size()
    assert fresh > 8192 * 4  # rows over several pages
    with psycopg.connect(pg_url, autocommit=True) as db:  # a store of the night before m014
        db.execute("DELETE FROM migrations WHERE name = 'm014_search_terms_reindex'")
    Store.connect(pg_url).close()  # opened by this version: m014 rebuilds the index
    assert size() == fresh
    with Store.connect(pg_url) as shared:
        assert shared.search_term_counts([])[0] == 60  # every commit indexed again (the days share them)


def test_search_cli_prints_ranked_commits_and_json(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    _repo, data, shas = history
    text = dailydiff("search", "FP8 GEMM", "--data-dir", str(data), cwd=tmp_path).stdout
    assert text.splitlines()[0].startswith(f" 1. [{shas[3][:7]}] {DAY2} flashinfer")
    out = json.loads(dailydiff("search", "FP8 GEMM", "--json", "--level", "low,medium,high", "-n", "1",
                               "--data-dir", str(data), cwd=tmp_path).stdout)  # fmt: skip
    assert [c["sha"] for c in out["commits"]] == [shas[3]] and out["indexed"] == 5
    bad = dailydiff("search", "x", "--type", "nonsense", "--data-dir", str(data), cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "choose from" in bad.stderr.strip().splitlines()[-1]
    none = dailydiff("search", "x", "--data-dir", str(tmp_path / "empty"), cwd=tmp_path, check=False)
    assert none.returncode == 1 and "no reported commits yet" in none.stderr


def test_search_that_finds_nothing_says_whether_the_days_or_the_words_missed(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """ "上个月" over a history that ended months ago finds nothing because of the days, not the words: the
    line says which days were searched and which days the index holds, and what to try."""
    _repo, data, _shas = history
    late = dailydiff(
        "search", "attention kernels in 2027", "--data-dir", str(data), cwd=tmp_path, check=False
    )
    assert (
        late.returncode == 1
        and late.stdout == ""
        and late.stderr.strip().splitlines()[-1]
        == (
            "dailydiff: no stored commit from 2027-01-01 to 2027-12-31 matches 'attention kernels in 2027': the "
            f"index holds 5 commits from {DAY1} to {DAY3}, none of them in those days; choose days with --from/--to"
        )
    )
    words = dailydiff(
        "search", "xyzzy", "--from", str(DAY1), "--data-dir", str(data), cwd=tmp_path, check=False
    )
    assert words.returncode == 1 and words.stderr.strip() == (
        f"dailydiff: no stored commit since {DAY1} matches 'xyzzy': the index holds 5 commits from {DAY1} to "
        f"{DAY3}; other words, or wider days with --from/--to, may find some"
    )
    anywhere = dailydiff("ask", "xyzzy", "--no-llm", "--data-dir", str(data), cwd=tmp_path, check=False)
    assert anywhere.returncode == 1
    assert "no stored commit matches 'xyzzy' (searched 5 indexed commits)" in anywhere.stderr


@pytest.mark.parametrize(
    "command", [["search"], ["search", "--json"], ["ask", "--no-llm"], ["ask", "--no-llm", "--json"]]
)
def test_an_empty_question_is_a_usage_error_and_one_that_matches_nothing_exits_1(
    history: tuple[Path, Path, list[str]], tmp_path: Path, command: list[str]
) -> None:
    """Issue 63: `search ""` listed the newest commits and "quantum teleportation" printed commits with no
    word of it, both exit 0, as if they answered. Now: as grep, 2 for a usage error, 1 for nothing matched,
    said in one line (JSON: no commits and that line)."""
    _repo, data, _shas = history
    empty = dailydiff(command[0], " ", *command[1:], "--data-dir", str(data), cwd=tmp_path, check=False)
    assert empty.returncode == 2 and empty.stdout == "", empty.stdout
    assert empty.stderr.strip().splitlines() == [
        'dailydiff: error: the question is empty — ask something, e.g. dailydiff search "attention kernels"'
    ]
    nonsense = dailydiff(command[0], "quantum teleportation", *command[1:], "--data-dir", str(data),
                         cwd=tmp_path, check=False)  # fmt: skip
    assert nonsense.returncode == 1, nonsense.stderr
    line = "no stored commit matches 'quantum teleportation' (searched 5 indexed commits)"
    if "--json" in command:
        out = json.loads(nonsense.stdout)
        assert out["commits"] == [] and out["nothing_found"] == line
    else:
        assert nonsense.stdout == "" and nonsense.stderr.strip().splitlines() == [f"dailydiff: {line}"]


def test_a_commit_the_store_holds_under_two_repositories_is_listed_once(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """One clone reported under two names (or a fork followed beside its upstream): the commit is one hit,
    under the repository where it ranks best, the other one named beside it."""
    repo, data, shas = history
    dailydiff("report", str(repo), "--date", DAY2.isoformat(), "--tz", "UTC", "--lang", "en", "--name",
              "flashinfer-ai/flashinfer", "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
    out = json.loads(dailydiff("search", "FP8 GEMM", "--json", "--data-dir", str(data), cwd=tmp_path).stdout)
    found = [c["sha"] for c in out["commits"]]
    assert len(found) == len(set(found)) and found[0] == shas[3]
    first = out["commits"][0]
    assert {first["repo"], *first["also_in"]} == {"flashinfer", "flashinfer-ai/flashinfer"}
    assert len(first["also_in"]) == 1
    text = dailydiff("search", "FP8 GEMM", "--data-dir", str(data), cwd=tmp_path).stdout
    assert text.count(f"[{shas[3][:7]}]") == 1 and f"(also {first['also_in'][0]})" in text.splitlines()[0]


def test_ask_offline_groups_the_commits_by_repository_and_month(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    _repo, data, shas = history
    text = dailydiff(
        "ask", "what changed in attention?", "--no-llm", "--data-dir", str(data), cwd=tmp_path
    ).stdout
    lines = text.splitlines()
    assert lines[0] == "2 commits found:" and "flashinfer" in lines[2]
    # by relevance (issue 63: the best match was listed fourth, by date): the search's first commit first
    best = json.loads(dailydiff("search", "what changed in attention?", "--json", "--data-dir", str(data),
                                cwd=tmp_path).stdout)["commits"]  # fmt: skip
    listed = [line.strip()[1:8] for line in lines if line.startswith("    [")]
    assert listed == [c["sha"][:7] for c in best], (listed, best)
    assert any(line.startswith(f"    [{shas[4][:7]}] {DAY3}") for line in lines)
    zh = dailydiff("ask", "注意力后端有哪些变化？", "--no-llm", "--data-dir", str(data), cwd=tmp_path).stdout
    assert zh.startswith("2 个相关提交")  # the Chinese commit and the English one on the attention backend


def test_search_reads_only_where_the_store_is_and_leaves_the_rest_of_the_config_to_its_commands(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """A question over the history is not stopped by a slip in a section `search` and `ask --no-llm` never
    read (an LLM setting, a publisher half set up with its webhook's address where its variable's name
    belongs): `doctor`, `run` and `ask` name it, the address left out. A bad value in what they do read
    (data_dir, [store]) stops them with the line every command prints. A variable an ``*_env`` key names
    is no typo; a misspelt one is."""
    _repo, data, shas = history
    config = tmp_path / "dailydiff.toml"
    hook = "https://hooks.slack.com/services/T0000/B0000/" + "x" * 24
    config.write_text(f'[llm]\nconcurrency = -3\n\n[[publish]]\ntype = "slack"\nurl_env = "{hook}"\n')
    read = ["--config", str(config), "--data-dir", str(data)]
    found = dailydiff("search", "FP8 GEMM", *read, cwd=tmp_path, env={"DAILYDIFF_LLM_API_KEY": "k"})
    assert found.stdout.startswith(f" 1. [{shas[3][:7]}]") and found.stderr == ""
    assert f"[{shas[3][:7]}]" in dailydiff("ask", "FP8 GEMM", "--no-llm", *read, cwd=tmp_path).stdout
    for command, code in ((["doctor"], 1), (["run"], 2), (["ask", "FP8 GEMM"], 2)):  # doctor: a failed check
        refused = dailydiff(*command, *read, cwd=tmp_path, check=False)
        said = refused.stdout + refused.stderr
        assert refused.returncode == code and "invalid setting 'llm.concurrency'" in said and hook not in said
    for text, key in (
        ("data_dir = 5\n", "data_dir"),
        ("[store]\nlock_timeout = 0\n", "store.lock_timeout"),
        ('[store]\nurll = ""\n', "store.urll"),
    ):
        config.write_text(text)
        bad = dailydiff("search", "FP8 GEMM", "--config", str(config), cwd=tmp_path, check=False)
        assert (
            bad.returncode == 2 and f"invalid setting '{key}' in {config}" in bad.stderr and bad.stdout == ""
        )
        assert bad.stderr == dailydiff("run", "--config", str(config), cwd=tmp_path, check=False).stderr
    config.write_text("")
    typo = dailydiff("search", "FP8 GEMM", *read, cwd=tmp_path, env={"DAILYDIFF_STORE_URLL": "x"})
    assert (
        "unknown environment variable DAILYDIFF_STORE_URLL (did you mean DAILYDIFF_STORE_URL?)" in typo.stderr
    )


def test_a_search_process_ends_once_its_output_is_out_without_tearing_its_modules_down(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """A real interpreter: `search` and `ask --no-llm` end once their whole output is written and the exit
    handlers have run (a coverage run's, logging's), with their exit code; the objects the process still
    holds are not freed one by one (a module's object that says when it is torn down never says so). A
    command that failed ends the normal way."""
    _repo, data, shas = history
    env = cli_env()

    def process(*args: str) -> subprocess.CompletedProcess[str]:
        return watched_exit(*args, "--data-dir", str(data), cwd=tmp_path, env=env)

    found = process("search", "FP8 GEMM", "--json", "-n", "200")
    assert found.returncode == 0 and found.stderr == "exit handlers ran\n"
    assert json.loads(found.stdout)["commits"][0]["sha"] == shas[3]  # the whole JSON, parsed
    listed = process("ask", "FP8 GEMM", "--no-llm")
    assert listed.returncode == 0 and listed.stderr == "exit handlers ran\n"
    assert listed.stdout.startswith("2 commits found:") and f"[{shas[3][:7]}]" in listed.stdout
    failed = process("search", "x", "--type", "nonsense")
    assert failed.returncode == 2 and failed.stderr.endswith("exit handlers ran\ntorn down\n")


def test_an_answer_keeps_only_lines_that_cite_retrieved_commits(
    history: tuple[Path, Path, list[str]],
) -> None:
    _repo, data, shas = history
    with Store.open(data) as store:
        hits = find(store, "FP8 GEMM", SearchFilters()).hits
    text = (f"- FP8 GEMM got faster on SM120 [{shas[3][:7]}].\n- The docs explain its cache [{shas[2]}].\n"
            f"- Something else happened [deadbee].\n- Attention changed [{shas[0][:7]}].")  # fmt: skip
    checked = check_answer(text, hits, "what changed in FP8 GEMM?")
    assert checked.cited == [shas[3][:7], shas[2][:7]] and checked.dropped_lines == 2
    assert "deadbee" not in checked.text and checked.language_ok
    assert not check_answer("FP8 GEMM 变快了", hits, "what changed in FP8 GEMM?").language_ok


def test_ask_with_an_llm_cites_only_retrieved_commits_and_asks_once(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    _repo, data, shas = history

    def canned(body: dict[str, object]) -> str:
        return json.dumps(
            {"answer": f"- FP8 GEMM got faster on SM120 [{shas[3][:7]}].\n- Invented [0123456]."}
        )

    with FakeLLM(canned=canned) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_API_KEY": "k"}  # fmt: skip
        args = ("ask", "What changed in FP8 GEMM?", "--data-dir", str(data))
        first = dailydiff(*args, cwd=tmp_path, env=env)
        asked = fake.count
        assert asked >= 1
        assert first.stdout.startswith(f"- FP8 GEMM got faster on SM120 [{shas[3][:7]}].")
        assert "0123456" not in first.stdout and "dropped 1 line" in first.stderr
        again = json.loads(dailydiff(*args, "--json", cwd=tmp_path, env=env).stdout)
        assert fake.count == asked  # the same question over the same history: no request
        assert again["llm"]["cached"] is True and again["answer"]["cited"] == [shas[3][:7]]
    with Store.open(data) as store:
        assert [r["command"] for r in store.runs()].count("ask") == 1  # its tokens are accounted once


def test_an_answer_that_loops_falls_back_to_the_listing_and_is_kept_like_any_answer(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """A small model's answer that repeats itself (stopped, retried once smaller, looping again) is not an
    endpoint failure: the retrieved commits are listed, the reason named on stderr, exit 0; it is kept like
    any answer, so asking again sends nothing and prints the same."""
    _repo, data, shas = history

    def canned(body: dict[str, object]) -> str:
        return json.dumps({"answer": f"- FP8 GEMM got faster on SM120 [{shas[3][:7]}]."})

    with FakeLLM(canned=canned, loop_after=0.2) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_API_KEY": "k"}  # fmt: skip
        args = ("ask", "What changed in FP8 GEMM?", "--data-dir", str(data))
        looped = dailydiff(*args, cwd=tmp_path, env=env)
        answering = [r for r in fake.requests if "search words" not in r.prompt_text]  # not the rewrite
        # Stopped in its loop (the endpoint's mode probes answer plainly now: the rewrite and the answer go
        # in json_schema mode, and the answer's loop is stopped once; nothing else is asked of it).
        assert [r.loop_from is not None for r in answering if not r.is_probe] == [True]
        assert re.match(r"\d+ commits found:\n", looped.stdout), looped.stdout  # the offline listing
        assert f"[{shas[3][:7]}]" in looped.stdout and "FP8 GEMM got faster" not in looped.stdout
        assert "repeated" in looped.stderr and "the retrieved commits follow" in looped.stderr
        asked = len(fake.requests)
        again = dailydiff(*args, cwd=tmp_path, env=env)
        assert len(fake.requests) == asked and again.stdout == looped.stdout
        assert "repeated" in again.stderr


def test_run_keeps_the_index_current(tmp_path: Path) -> None:
    repo = tmp_path / "flashinfer"
    shas = build_repo(repo, SPECS[:2])
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        f'[report]\ntimezone = "UTC"\nlanguage = "en"\n\n[[repos]]\nsource = "{repo}"\n', encoding="utf-8"
    )
    data = tmp_path / "data"
    dailydiff("run", "--config", str(config), "--date", DAY1.isoformat(), "--data-dir", str(data), "--quiet",
              cwd=tmp_path)  # fmt: skip
    with Store.open(data) as store:
        assert _shas(store, "sampling NaN") == [shas[1]] and _shas(store, "paged KV cache") == [shas[0]]


def test_an_answer_that_cites_nothing_is_not_printed_as_an_answer(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """An LLM answer with no valid citation is not grounded: the ranked commits are printed instead, with
    one line saying why, and --json carries no answer."""
    _repo, data, shas = history

    def canned(body: dict[str, object]) -> str:
        return json.dumps({"answer": "FP8 GEMM got much faster on every GPU this spring."})

    with FakeLLM(canned=canned) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_API_KEY": "k"}  # fmt: skip
        args = ("ask", "What changed in FP8 GEMM?", "--data-dir", str(data))
        shown = dailydiff(*args, cwd=tmp_path, env=env)
        assert fake.count >= 1
        assert re.match(r"\d+ commits found:\n", shown.stdout), shown.stdout  # the ranked commits
        assert f"[{shas[3][:7]}]" in shown.stdout and "much faster" not in shown.stdout
        assert "Commits cited" not in shown.stdout
        why = [line for line in shown.stderr.splitlines() if line.strip()]
        assert len(why) == 1 and "cites no retrieved commit" in why[0], shown.stderr
        out = json.loads(dailydiff(*args, "--json", cwd=tmp_path, env=env).stdout)
        assert out["answer"] is None and out["llm"]["cited"] == [] and out["commits"]


def test_ask_uses_a_configured_llm_whatever_the_analyser_setting(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """`[analysis] analyzer = "heuristic"` says how reports are analysed; `ask` still asks the LLM the
    environment configures, and without one says in one line why it answers from the listing."""
    _repo, data, shas = history
    config = tmp_path / "heuristic.toml"
    config.write_text('[analysis]\nanalyzer = "heuristic"\n', encoding="utf-8")

    def canned(body: dict[str, object]) -> str:
        return json.dumps({"answer": f"- FP8 GEMM got faster on SM120 [{shas[3][:7]}]."})

    args = ("ask", "What changed in FP8 GEMM?", "--config", str(config), "--data-dir", str(data))
    with FakeLLM(canned=canned) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_API_KEY": "k"}  # fmt: skip
        answered = dailydiff(*args, cwd=tmp_path, env=env)
        assert fake.count >= 1
        assert answered.stdout.startswith(f"- FP8 GEMM got faster on SM120 [{shas[3][:7]}].")
    offline = dailydiff(*args, cwd=tmp_path)
    lines = [line for line in offline.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no LLM model is configured" in lines[0], offline.stderr
    assert re.match(r"\d+ commits found:\n", offline.stdout)


def test_questions_as_people_write_them(history: tuple[Path, Path, list[str]]) -> None:
    """A time the question names narrows the days, a Chinese word finds the English commit it names (and
    an English one the Chinese commit), a kind word asks for that kind of change."""
    _repo, data, shas = history
    may = dt.date(2026, 5, 1)

    def found(question: str, today: dt.date = may) -> list[str]:
        return [h.doc.sha for h in find(store, question, SearchFilters(), limit=10, today=today).hits]

    with Store.open(data) as store:
        assert found("what changed in attention since April?") == [shas[4]]
        assert found("3 月份注意力有哪些改动？") == [shas[0]]  # March, the English attention commit
        assert set(found("attention between March and May")) == {shas[0], shas[4]}
        assert found("上个月注意力", today=dt.date(2026, 4, 20)) == [shas[0]]  # last month: March
        assert found("采样有哪些修复？")[0] == shas[1]  # sampling + a fix
        assert found("out-of-bounds access in the attention backend")[0] == shas[4]  # 越界 in a Chinese title
        assert found("Which docs were written for the GEMM?")[0] == shas[2]
        explicit = find(
            store, "attention since April", SearchFilters(date_from=DAY1, date_to=DAY2), today=may
        )
        assert [h.doc.sha for h in explicit.hits] == [shas[0]]  # --from/--to win over the question's words


@pytest.mark.parametrize(
    ("question", "window"),
    [
        ("between March and May", ("2026-03-01", "2026-05-31")),
        ("what landed since April", ("2026-04-01", None)),
        ("fixes in the second half of July", ("2026-07-16", "2026-07-31")),
        ("what may have changed in the kernel", (None, None)),  # "may" is not a month here
        ("what changed in comm / allreduce in may?", ("2026-05-01", "2026-05-31")),  # by its place it is
        ("fixes in may and june", ("2026-05-01", "2026-06-30")),
        ("dense gemm side in july/aug", ("2026-07-01", "2026-08-31")),
        ("what changed in may break the build", (None, None)),
        ("in May", ("2026-05-01", "2026-05-31")),
        ("from November to February", ("2025-11-01", "2026-02-28")),
        ("8 月份", ("2026-08-01", "2026-08-31")),
        ("八月份的修复", ("2026-08-01", "2026-08-31")),
        ("3 月到 5 月之间", ("2026-03-01", "2026-05-31")),
        ("6 月以来", ("2026-06-01", None)),
        ("上个月", ("2026-07-01", "2026-07-31")),
        ("2025 年 12 月", ("2025-12-01", "2025-12-31")),
        ("last 2 weeks", ("2026-08-09", "2026-08-23")),
        ("Q1", ("2026-01-01", "2026-03-31")),
        ("what changed in June and July?", ("2026-06-01", "2026-07-31")),
        ("fixes June–August", ("2026-06-01", "2026-08-31")),
        ("April fixes", ("2026-04-01", "2026-04-30")),
        ("March and may be", ("2026-03-01", "2026-03-31")),  # "may" is not a month here either
        ("over the last two months", ("2026-06-01", "2026-08-23")),
        ("since the start of July", ("2026-07-01", None)),
        ("what changed in H1?", ("2026-01-01", "2026-06-30")),
        ("between 2026-03-05 and 2026-04-30", ("2026-03-05", "2026-04-30")),
        ("7、8 月有哪些改动", ("2026-07-01", "2026-08-31")),
        ("5-7 月", ("2026-05-01", "2026-07-31")),
        ("Qwen3、8 月", ("2026-08-01", "2026-08-31")),  # a model's number is not a month
        ("最近两个月", ("2026-06-01", "2026-08-23")),
        ("上个季度", ("2026-04-01", "2026-06-30")),
        ("4 月之前", (None, "2026-03-31")),
        ("8 月下旬", ("2026-08-21", "2026-08-31")),
        ("quant fixes in may 2026", ("2026-05-01", "2026-05-31")),  # a year makes "may" a month
        ("sampling fixes Mar-Jun", ("2026-03-01", "2026-06-30")),
        ("spec dec-mar", (None, None)),
        ("since June 15", ("2026-06-15", None)),
        ("between June 1 and June 15", ("2026-06-01", "2026-06-15")),
        ("before March 5", (None, "2026-03-04")),
        ("6 月 15 日以来", ("2026-06-15", None)),
        ("7 月 1 日到 15 日", ("2026-07-01", "2026-07-15")),
        ("8 月 10 日之前", (None, "2026-08-09")),
        ("2026 年第二季度", ("2026-04-01", "2026-06-30")),
        ("第三季度以来的修复", ("2026-07-01", None)),
        ("since Q2", ("2026-04-01", None)),
        ("Q2 以来", ("2026-04-01", None)),
        ("this quarter", ("2026-07-01", "2026-08-23")),
        ("since last month", ("2026-07-01", None)),
        ("上个月以来", ("2026-07-01", None)),
        ("since the beginning of the year", ("2026-01-01", None)),
        ("over the summer", ("2026-06-01", "2026-08-31")),
        ("during the winter", ("2025-12-01", "2026-02-28")),
        ("今年夏天的修复", ("2026-06-01", "2026-08-31")),
        ("今年下半年有哪些提交被回滚了？", ("2026-07-01", "2026-12-31")),  # the year's half, not the year
        ("去年上半年的修复", ("2025-01-01", "2025-06-30")),
        ("今年以来的修复", ("2026-01-01", None)),
        ("GDN 这块六七月份做了哪些？", ("2026-06-01", "2026-07-31")),  # two months in a row, as one word
        ("三四月份的修复", ("2026-03-01", "2026-04-30")),
        ("十一月的修复", ("2025-11-01", "2025-11-30")),  # eleven, not ten and one
        ("moe fixes in early july", ("2026-07-01", "2026-07-31")),
        ("what landed at the end of may?", ("2026-05-01", "2026-05-31")),
        ("mid-june fixes", ("2026-06-01", "2026-06-30")),
        ("what had landed by the end of june?", (None, "2026-06-30")),
        ("what shipped by July?", (None, "2026-07-31")),
    ],
)
def test_time_words_become_a_window(question: str, window: tuple[str | None, str | None]) -> None:
    from dailydiff.search.understand import understand

    understood = understand(question, dt.date(2026, 8, 23))
    got = (understood.date_from, understood.date_to)
    assert tuple(d.isoformat() if d else None for d in got) == window


def test_the_words_of_a_time_read_are_no_ideas_of_their_own() -> None:
    """The time "今年以来" (since the start of this year) is read all of it: no commit is asked to hold "以来"."""
    from dailydiff.search.understand import understand

    for question in ("今年以来 b12x 后端", "今年下半年 b12x 后端", "late june b12x 后端"):
        assert [c.source for c in understand(question, dt.date(2026, 8, 23)).concepts] == ["b12x", "后端"]


def test_search_says_which_days_the_question_chose(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    _repo, data, shas = history
    shown = dailydiff("search", "attention since April 2026", "--data-dir", str(data), cwd=tmp_path)
    assert f"[{shas[4][:7]}]" in shown.stdout and f"[{shas[0][:7]}]" not in shown.stdout
    assert (
        "searching 2026-04-01 to today (read from 'since April 2026'; --from/--to override)" in shown.stderr
    )
    given = dailydiff("search", "attention since April 2026", "--from", "2026-03-01", "--to", "2026-03-31",
                      "--json", "--data-dir", str(data), cwd=tmp_path)  # fmt: skip
    out = json.loads(given.stdout)
    assert [c["sha"] for c in out["commits"]] == [shas[0]] and out["time_words"] == []
    # The repository the question names and a kind it asks not to see are said the same way.
    read = dailydiff("search", "flashinfer sampling, not fixes", "--data-dir", str(data), cwd=tmp_path)
    assert "searching flashinfer only (read from 'flashinfer'; --repo overrides)" in read.stderr, read.stderr
    assert "listing 'fixes' commits after the others (as the question asks)" in read.stderr
    chosen = dailydiff("search", "flashinfer sampling, not fixes", "--repo", "flashinfer", "--json",
                       "--data-dir", str(data), cwd=tmp_path)  # fmt: skip
    said = json.loads(chosen.stdout)
    assert said["repo_words"] == [] and said["put_last"] == ["fixes"] and "searching" not in chosen.stderr


def test_a_question_about_reverts_gets_each_revert_with_its_reland(tmp_path: Path) -> None:
    """'Rolled back and re-landed' is a structure: each revert is followed by the later commit that repeats
    the reverted title, whatever that commit is called; a question asking only what was reverted gets the
    reverts."""
    day = dt.date(2026, 5, 4)
    title = "feat(moe): fused routing kernel for many experts"
    specs = [CommitSpec(title, _at(day, 8), edits=[FileEdit("moe/routing.py", "def route():\n    return 1\n")]),
             CommitSpec("perf(gemm): FP8 GEMM tiles", _at(day, 9), edits=[FileEdit("gemm/fp8.py", "x = 2\n")]),
             CommitSpec(f'Revert "{title}"', _at(day, 10), edits=[FileEdit("moe/routing.py", "")]),
             CommitSpec("docs: the routing guide", _at(day, 11), edits=[FileEdit("docs/routing.md", "# R\n")]),
             CommitSpec(f"{title}, fixed", _at(day, 12),
                        edits=[FileEdit("moe/routing.py", "def route():\n    return 3\n")])]  # fmt: skip
    data, shas = _reported(tmp_path, "moe", specs, day)
    with Store.open(data) as store:
        found = [
            h.doc.sha
            for h in find(store, "which changes were rolled back and re-landed?", SearchFilters()).hits
        ]
        assert found[:2] == [shas[2], shas[4]], found  # the revert, then its re-land
        for question in (
            "哪些改动回滚后又重新合入了？",
            "有哪些先 revert 又重新合回来的改动？",
            "有哪些 PR 被 revert 之后又重新提了一遍？",
        ):
            zh = [h.doc.sha for h in find(store, question, SearchFilters()).hits]
            assert zh[:2] == [shas[2], shas[4]], (question, zh)
        # Asked for the original change too: the change, its revert, its re-land.
        for question in (
            "reverted and re-landed? (the original pr, the revert, the reland)",
            "哪些改动回滚后又重新合入了？要原始 PR",
        ):
            trio = [h.doc.sha for h in find(store, question, SearchFilters()).hits]
            assert trio[:3] == [shas[0], shas[2], shas[4]], (question, trio)
        # A question for what was reverted, and no more, is not given what came back.
        for question in ("回滚了哪些改动？", "which changes were reverted?"):
            reverts = [h.doc.sha for h in find(store, question, SearchFilters()).hits]
            assert reverts[0] == shas[2] and shas[4] not in reverts[:2], (question, reverts)


def test_ask_searches_by_the_models_words_for_the_question_once(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """With an LLM, `ask` has the question rewritten into search words in both languages (one request,
    kept in the store): a question in other words than the commits' still finds them, and a re-ask sends
    nothing."""
    _repo, data, shas = history
    question = "Which commits made matrix multiplication quicker?"

    def canned(body: dict[str, object]) -> str:
        prompt = json.dumps(body.get("messages"), ensure_ascii=False)
        if "search words" in prompt:
            return json.dumps({"en": ["GEMM", "FP8", "performance"], "zh": ["矩阵乘"]})
        cited = shas[3][:7] if shas[3][:7] in prompt else "0000000"
        return json.dumps({"answer": f"- FP8 GEMM got faster on SM120 [{cited}]."})

    args = ("ask", question, "--json", "--data-dir", str(data))
    with FakeLLM(canned=canned) as fake:
        env = {"DAILYDIFF_LLM_BASE_URL": fake.base_url, "DAILYDIFF_LLM_MODEL": fake.model,
               "DAILYDIFF_LLM_API_KEY": "k"}  # fmt: skip
        first = json.loads(dailydiff(*args, cwd=tmp_path, env=env).stdout)
        asked = fake.count
        assert any("search words" in r.prompt_text for r in fake.requests)
        assert first["commits"][0]["sha"] == shas[3] and first["answer"]["cited"] == [shas[3][:7]]
        again = json.loads(dailydiff(*args, cwd=tmp_path, env=env).stdout)
        assert fake.count == asked and again["commits"] == first["commits"]  # both kept: nothing sent
    asked_offline = dailydiff("ask", question, "--no-llm", "--json", "--data-dir", str(data), cwd=tmp_path,
                              check=False)  # fmt: skip
    offline = json.loads(asked_offline.stdout)
    assert asked_offline.returncode == (0 if offline["commits"] else 1)  # nothing matched: 1, as grep
    assert shas[3] not in [c["sha"] for c in offline["commits"][:1]]  # the question's own words miss it
    with Store.open(data) as store:
        assert [r["command"] for r in store.runs()].count("ask") == 1  # the rewrite is accounted with it


def test_names_in_parentheses_belong_to_the_word_before_them() -> None:
    from dailydiff.search.understand import understand

    def ideas(question: str) -> list[tuple[str, ...]]:
        return [c.terms for c in understand(question, dt.date(2026, 8, 23)).concepts]

    gdn = ideas("GDN 解码（decode）内核有哪些改动？")
    assert gdn[0][0] == "gdn" and "decod" not in gdn[0]  # not "GDN or decode"
    assert "decod" in gdn[1] and "gdn" not in gdn[1]
    assert {"pcp", "dcp", "context parallel"} <= set(ideas("上下文并行（PCP/DCP）")[0])
    kda = ideas("When were the KDA (Kimi delta attention) kernels added?")
    assert kda[0] == ("kda", "kimi delta attent")  # an expansion is a phrase, not "attention" alone
    # the question's own words for one glossary group are one idea; a word and a kind of another are two
    pcp = ideas("PCP/DCP context-parallel fixes last month?")
    assert len(pcp) == 2 and {"pcp", "dcp", "context parallel"} <= set(pcp[0])
    assert len(ideas("MLA attention kernels")) == 3
    assert "dependabot bump" in ideas("github actions 版本升级（dependabot 那些 bump）")[1]  # no "那些"
    # parentheses name what most of them are kinds of ("nvfp4 attention", "sparse mla" are attention), else
    # the generic word before them ("backends"), which the hardware they run on is not
    sm120 = understand(
        "new attention support for sm120 (fmha_v2, nvfp4 attention, sparse mla)", DAY1
    ).concepts
    assert {"fmha v2", "spars mla"} <= set(sm120[0].terms) and "fmha v2" not in sm120[-1].terms
    moe = understand("which MoE backends got work for SM120 (b12x, cutlass, cute-dsl)?", DAY1).concepts
    backends = next(c for c in moe if "backend" in c.terms)
    assert "cutlass" in backends.terms and any("sm120" in c.terms and not c.optional for c in moe)
    options = ideas("which config options / env vars got removed?")  # two-word names, either one
    assert len(options) == 2 and {"config", "option", "env"} <= set(options[1])
    # names after a generic word are what is asked, the word is not: a commit about WAN need not say "model";
    # examples of what a thing got ("new ops, paged prefill") are no names of it, and stay aside
    diffusion = understand("What changed for diffusion models (WAN / DiT)?", DAY1).concepts
    assert [(c.terms, c.optional) for c in diffusion][1] == (("wan", "dit"), False)
    cudnn = understand("what got added on the cudnn backend side (new ops, paged prefill)?", DAY1).concepts
    assert next(c for c in cudnn if "page prefil" in c.terms).optional


def test_the_reports_change_type_labels_are_kinds_in_both_languages() -> None:
    from dailydiff.search.understand import understand

    def kinds(question: str) -> list[str]:
        return understand(question, dt.date(2026, 8, 23)).kinds

    assert (
        kinds("重构了哪些代码？") == kinds("which refactors landed?") == ["refactor"]
    )  # 重构 = the zh label
    assert kinds("6 月份回滚了哪些改动？") == kinds("what was reverted?") == ["revert"]
    assert kinds("依赖更新有哪些") == ["dependency"]


MinimaxStore = Callable[[str, str], tuple[Path, list[str]]]


@pytest.fixture
def minimax_store(tmp_path: Path) -> MinimaxStore:
    """A store of one day's report over three commits: the two titles given (each naming MiniMax one way)
    and an unrelated one; returns its data directory and the commits' shas."""

    def make(first: str, second: str) -> tuple[Path, list[str]]:
        day = dt.date(2026, 5, 6)
        repo = tmp_path / "ascend"
        shas = build_repo(repo, [
            CommitSpec(first, _at(day, 8),
                       edits=[FileEdit("vllm_ascend/parser.py", "def parse():\n    return 1\n")]),
            CommitSpec(second, _at(day, 10),
                       edits=[FileEdit("vllm_ascend/models/wrapper.py", "def wrap():\n    return 2\n")]),
            CommitSpec("fix: Qwen3 rope scaling", _at(day, 12),
                       edits=[FileEdit("vllm_ascend/rope.py", "def rope():\n    return 3\n")]),
        ])  # fmt: skip
        data = tmp_path / "data"
        dailydiff("report", str(repo), "--date", day.isoformat(), "--tz", "UTC", "--lang", "en",
                  "--data-dir", str(data), "--quiet", cwd=tmp_path)  # fmt: skip
        return data, shas

    return make


def test_a_name_in_camel_case_finds_the_commits_that_write_it_either_way(minimax_store: MinimaxStore) -> None:
    """A name like "MiniMax" is indexed as "mini max" where a commit writes it so and as "minimax" where it
    writes "Minimax": the question's word finds both."""
    data, shas = minimax_store(
        "fix(parser): backport MiniMax-M2 tool call streaming",
        "fix: the Minimax wrapper accepts extra kwargs",
    )
    with Store.open(data) as store:
        assert set(_shas(store, "MiniMax")) == set(shas[:2])
        assert set(_shas(store, "Which MiniMax fixes landed?")[:2]) == set(shas[:2])


def test_two_words_a_commit_writes_as_one_are_both_in_it(minimax_store: MinimaxStore) -> None:
    """ "ACL graph fixes": a commit fixing the "aclgraph" holds the ACL and the graph asked, before one that
    fixes another graph."""
    data, shas = minimax_store(
        "fix: the CUDA graph capture hangs with large batch sizes",
        "fix: aclgraph capture hangs with large batch sizes",
    )
    with Store.open(data) as store:
        assert _shas(store, "ACL graph fixes")[:2] == [shas[1], shas[0]]


def test_an_acronyms_plural_or_version_is_one_term() -> None:
    """An acronym's plural or version is one word: "APIs" is "api", "DSv4" "dsv4" (not "ap is", "d sv4");
    and "v0.25" is the "0.25" of a title's "0.25.0"."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.understand import understand

    assert terms("APIs GPUs IDs DSv4 FMHAv2 HTTPServer fusedMoe") == [
        "api", "gpu", "id", "dsv4", "fmhav2", "http", "server", "fuse", "moe"]  # fmt: skip
    assert terms("support DSv4 MTP") == terms("Support dsv4 mtp")
    assert terms("bump vLLM to 0.25.0")[-3:] == ["0", "25", "0"]
    assert "0 25" in understand("When did main move to vLLM v0.25?", dt.date(2026, 8, 23)).terms
    asked = understand("Which APIs were added?", dt.date(2026, 8, 23)).terms
    assert "api" in asked and "add" in asked and not {"ap", "is", "which", "were"} & set(asked)


def test_a_three_letter_plural_is_its_word() -> None:
    """Words of three letters are stemmed too: "ops" is "op", "ids" is "id" (a question for a custom op finds the
    commits adding custom ops); shorter words are kept as written."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.understand import understand

    assert terms("custom ops by ids") == ["custom", "op", "by", "id"]
    assert understand("Which custom op was added?", dt.date(2026, 8, 23)).terms == terms("custom ops add")


def test_an_irregular_plural_or_past_is_its_word() -> None:
    """ "indices" is "index" (the stemmer makes it "indic"), "built" is "build", "broken" is "break"."""
    from dailydiff.common.searchterms import terms

    assert terms("pool indices matrices built broken ran") == terms("pool index matrix build break run")


def test_full_width_letters_and_digits_are_read_as_ascii() -> None:
    """Some Chinese input methods write "ＦＰ８" and "７月": the question means what "FP8" and "7月" mean."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.understand import understand

    assert terms("ＦＰ８ ＧＥＭＭ") == ["fp8", "gemm"]
    today = dt.date(2026, 8, 1)
    wide, ascii_ = understand("７月 ＦＰ８ ＧＥＭＭ 修复", today), understand("7月 FP8 GEMM 修复", today)
    assert (wide.date_from, wide.date_to) == (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert [c.terms for c in wide.concepts] == [c.terms for c in ascii_.concepts]


def test_a_short_name_in_mixed_case_is_one_word(minimax_store: MinimaxStore) -> None:
    """ "MoE", "NaN", "TopK" are one name each (not "mo e", "na n", "top k"): a question for "moe" finds the
    commits that write "MoE", alone or inside an identifier."""
    from dailydiff.common.searchterms import terms

    assert terms("MoE NaN ViT TopK CuteDslMoEWrapper numHeadsQPerKv") == [
        "moe", "nan", "vit", "topk", "cute", "dsl", "moe", "wrapper", "num", "head", "q", "per", "kv"]  # fmt: skip
    data, shas = minimax_store("fix: MoE routing overflow", "feat: BailingMoELayer on NPU")
    with Store.open(data) as store:
        assert set(_shas(store, "moe")) == set(shas[:2])


def test_a_small_prefix_of_an_upper_case_name_is_part_of_it(minimax_store: MinimaxStore) -> None:
    """ "vLLM", "cuDNN", "nvFP4" are one word each, as "vllm", "cudnn", "nvfp4" are: a question written in
    lower case finds the commits that write them so (no commit writes them both ways here)."""
    from dailydiff.common.searchterms import terms

    assert terms("vLLM cuDNN nvFP4") == terms("vllm cudnn nvfp4") == ["vllm", "cudnn", "nvfp4"]
    data, shas = minimax_store("[Misc] Upgrade vLLM to 0.25.0", "fix: cuDNN prefill on NPU")
    with Store.open(data) as store:
        assert _shas(store, "vllm upgrade")[:1] == [shas[0]]
        assert _shas(store, "cudnn")[:1] == [shas[1]]


def test_a_question_naming_an_acronyms_plural_finds_the_commits_that_write_it(
    minimax_store: MinimaxStore,
) -> None:
    """A question is read lowercased, where "gpus" and "llms" no longer show they are plurals: "GPUs" is "GPU"
    first, as the index has it."""
    from dailydiff.search.understand import understand

    assert [c.terms for c in understand("NPUs", dt.date(2026, 5, 6)).concepts] == [("npu",)]
    data, shas = minimax_store("feat: the sampler runs on more GPUs", "fix: LLMs wrapper")
    with Store.open(data) as store:
        assert _shas(store, "Which GPUs does the sampler run on?")[:1] == [shas[0]]
        assert _shas(store, "LLMs")[:1] == [shas[1]]


@pytest.mark.parametrize(
    ("migration", "title", "stale", "question"),
    [
        # What the rules before m014 wrote: "added" -> "ad", "DSv4" -> "d sv4", "APIs" -> "ap is".
        ("m014_search_terms_reindex", "feat: added DSv4 APIs", "feat ad d sv4 ap is", "add the DSv4 API"),
        # Before m016 a numbered name was not also its name: "GLM5" was "glm5" alone.
        ("m016_search_numbered_names", "fix: GLM5 tool parser", "fix glm5 tool parser", "GLM"),
    ],
)
def test_a_store_indexed_by_older_term_rules_is_reported_stale_and_reindexed_by_its_migration(
    minimax_store: MinimaxStore, tmp_path: Path, migration: str, title: str, stale: str, question: str
) -> None:
    data, shas = minimax_store(title, "fix: MiniMax wrapper")
    db = sqlite3.connect(data / "dailydiff.sqlite3")
    db.execute("UPDATE search_docs SET f_title = ? WHERE sha = ?", (stale, shas[0]))
    db.commit()
    check = dailydiff("store", "check", "--data-dir", str(data), cwd=tmp_path, check=False)
    assert check.returncode == 4 and "1 row(s) of the search index differ" in check.stdout + check.stderr
    db.execute("DELETE FROM migrations WHERE name = ?", (migration,))
    db.commit()
    db.close()
    with Store.open(data) as store:  # the migration makes the index anew
        assert migration in store.applied_migrations()
        assert _shas(store, question)[0] == shas[0]
    assert dailydiff("store", "check", "--data-dir", str(data), cwd=tmp_path).returncode == 0


def test_the_glossary_knows_the_names_quantization_and_rope_go_by() -> None:
    """W8A8 and W4A8 are quantization schemes; "RoPE" is indexed as "ro pe" where a commit writes it so."""
    from dailydiff.search.understand import understand

    [quantization, _fix] = understand("5 月份量化相关的修复有哪些？", dt.date(2026, 8, 23)).concepts
    assert {"quantiz", "w8a8", "w4a8", "dequant"} <= set(quantization.terms)
    [rope] = understand("RoPE 相关的改动", dt.date(2026, 8, 23)).concepts
    assert {"rope", "ro pe", "rotari"} <= set(rope.terms)


def test_a_kind_of_change_is_one_idea_whatever_word_names_it() -> None:
    """A question asking what was "rolled back" asks for the commits that say "Revert" as much as for those
    that say "rolled back": a kind's words are all the question's own (another thing's other names count
    for less)."""
    from dailydiff.search.understand import understand

    [kind] = understand("Which changes were rolled back?", dt.date(2026, 8, 23)).concepts
    assert {"revert", "roll back", "回滚"} <= set(kind.own)
    [rope] = understand("RoPE changes", dt.date(2026, 8, 23)).concepts[:1]
    assert "rotari" in rope.terms and "rotari" not in rope.own  # not a kind: "rotary" is another name


def test_a_title_naming_the_idea_beats_one_naming_it_inside_an_identifier() -> None:
    """A question asking for PDL: a commit titled "add PDL support" is about PDL; one fixing ``enable_pdl`` is
    about a parameter of something else, even when it is the more important commit."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str, level: str) -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", level, [], [], [], title, "", "",
                         None, "", fields={"f_title": " ".join(terms(title))})  # fmt: skip

    docs = [doc("a" * 40, "chore: fix enable_pdl for the routing kernel", "high"),
            doc("b" * 40, "feat: add PDL support to the norm kernels", "low")]  # fmt: skip
    understood = understand("PDL", DAY1)
    hits = rank(docs, understood.concepts, 100, {"pdl": 2}, 10, DAY1, understood.phrases)
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]


def test_a_title_naming_the_idea_by_another_name_counts_less_than_one_naming_it_as_asked() -> None:
    """A question for the "b12x" backend: a title saying "b12x" is what was asked; one saying "SM120" (the
    glossary's other name for the hardware) is about something near it, however much it says so. A Chinese
    question's word in an English title ("精度" as "precision") is the word as asked."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str, level: str, analysis: str = "") -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", level, [], [], [], title, "", "",
                         None, "", fields={"f_title": " ".join(terms(title)),
                                           "f_analysis": " ".join(terms(analysis))})  # fmt: skip

    docs = [doc("a" * 40, "feat: an SM120 backend for the MoE GEMM", "high",
                "The SM120 backend is the backend of SM120: SM120 backend kernels, an SM120 backend"),
            doc("b" * 40, "feat: a b12x backend for the MoE GEMM", "low")]  # fmt: skip
    counts = {"b12x": 5, "sm120": 5, "backend": 20}
    understood = understand("b12x backend", DAY1)
    assert [h.doc.sha[0] for h in rank(docs, understood.concepts, 100, counts, 10, DAY1)] == ["b", "a"]
    english, chinese = (understand(q, DAY1) for q in ("precision fixes", "精度修复"))
    scores = [
        rank([doc("c" * 40, "fix: precision loss in the GEMM", "low")], u.concepts, 100,
             {"precis": 5, "fix": 30}, 10, DAY1)[0].score
        for u in (english, chinese)
    ]  # fmt: skip
    assert scores[1] > 0.9 * scores[0]  # the translation's title counts whole (its text a little less)


def _typed_doc(sha: str, title: str, level: str, kind: str, body: str = "") -> SearchDoc:
    """A stored commit as the ranking reads it, of one change type (its analysis text is the type)."""
    from dailydiff.common.searchterms import terms

    return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", level, [kind], [], [], title, "", "",
                     None, "", fields={"f_title": " ".join(terms(title)), "f_body": " ".join(terms(body)),
                                       "f_analysis": kind})  # fmt: skip


def test_a_commit_is_of_the_kind_asked_when_its_report_or_its_title_says_so() -> None:
    """ "Sampling fixes": a feature whose message says it "fixes the slow path" is no fix; a commit its report
    types a bugfix is one, whatever its title says."""
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand

    docs = [_typed_doc("a" * 40, "feat(sampling): a top-p sampling kernel", "high", "feature",
                "It fixes the slow path of the old sampling kernel."),
            _typed_doc("b" * 40, "sampling: handle NaN logits", "low", "bugfix")]  # fmt: skip
    understood = understand("sampling fixes", DAY1)
    hits = rank(docs, understood.concepts, 100, {"sampl": 5, "fix": 30, "bugfix": 20}, 10, DAY1)
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]


def test_what_followed_is_a_questions_words_not_a_commits() -> None:
    """A question "… added and what followed?" asks for a thing's history: "follow" is no idea a commit must hold."""
    from dailydiff.search.understand import understand

    concepts = understand("When were the KDA kernels added and what followed?", DAY1).concepts
    assert [c.source for c in concepts] == ["kda", "kernels", "added"]


def test_the_glossary_knows_the_everyday_words_of_a_chinese_question() -> None:
    """A Chinese question's everyday words (超时, 日志, 推理, 分块预填充) find the English commit text; an English
    question is not searched for more than its words said."""
    from dailydiff.search.understand import understand

    day = dt.date(2026, 8, 23)
    held = set(understand("推理超时和日志相关的修复", day).terms)
    assert {"infer", "timeout", "log"} <= held
    [chunked] = understand("分块预填充", day).concepts
    assert "chunk prefil" in chunked.terms
    assert {"support", "integr", "unifi", "migrat"} <= set(understand("适配、接入、统一和迁移", day).terms)
    [timeout] = understand("timeouts", day).concepts
    assert [t for t in timeout.terms if t.isascii()] == ["timeout"]


def test_a_question_for_features_finds_the_commits_titled_feat() -> None:
    """Commits say "feat:" where a question says "features" or "新功能"."""
    from dailydiff.search.understand import understand

    for question in ("What features landed in June?", "6 月份有哪些新功能？"):
        understood = understand(question, dt.date(2026, 8, 23))
        assert understood.kinds == ["feature"] and "feat" in understood.concepts[0].terms


def test_ideas_a_question_lists_are_alternatives() -> None:
    """A question for "CI, test, release or packaging changes" asks for commits of any of those kinds, not for commits of all;
    "CANN and torch_npu upgraded" for an upgrade of either. A comma that ends a clause joins nothing."""
    from dailydiff.search.understand import understand

    def ideas(question: str) -> list[set[str]]:
        return [set(c.terms) for c in understand(question, dt.date(2026, 8, 23)).concepts]

    [kinds] = ideas("What CI, test, release or packaging changes happened in July?")
    assert {"ci", "test", "releas", "packag"} <= kinds
    [kinds_zh] = ideas("7 月份 CI、测试、发布或打包方面有哪些改动？")
    assert {"ci", "测试", "发布", "打包"} <= kinds_zh
    software, upgrade = ideas("When were CANN and torch_npu upgraded?")
    assert {"cann", "torch npu"} <= software and "upgrad" in upgrade
    hopper, fix = ideas("For Hopper, which fixes landed?")
    assert "hopper" in hopper and "fix" in fix and "fix" not in hopper
    _fixed, moe, _reverted = ideas("What was fixed in MoE and reverted later?")
    assert "moe" in moe and "revert" not in moe  # a kind and a subject are no list
    either = understand("Which fixes or reverts touched attention?", dt.date(2026, 8, 23))
    assert either.kinds == ["fix", "revert"]


def test_the_glossary_knows_more_hardware_names() -> None:
    """Atlas A2 is the 910B, A3 the 910C; Ada is SM89, Thor SM110."""
    from dailydiff.search.understand import understand

    day = dt.date(2026, 8, 23)
    assert {"a2", "910b"} <= set(understand("910B 上的修复", day).terms)
    assert {"sm89", "ada"} <= set(understand("Ada support", day).terms)
    assert {"sm110", "thor"} <= set(understand("SM110 changes", day).terms)


def test_a_word_made_of_a_question_word_is_an_idea() -> None:
    """ "week" says when ("last week"); "weekly tests" are tests that run every week, and a commit says so."""
    from dailydiff.search.understand import understand

    day = dt.date(2026, 8, 23)
    assert [c.source for c in understand("What changed in the weekly tests since July?", day).concepts] == [
        "weekly",
        "tests",
    ]
    assert next(c.source for c in understand("monthly release notes", day).concepts) == "monthly"


def test_updates_issues_and_made_are_a_questions_words() -> None:
    """A question for "documentation updates" asks for documentation changes, not for commits that say "update"; "accuracy
    issue fixes that were made" for accuracy fixes."""
    from dailydiff.search.understand import understand

    day = dt.date(2026, 8, 23)
    assert understand("What documentation updates landed in July?", day).kinds == ["docs"]
    assert len(understand("What documentation updates landed in July?", day).concepts) == 1
    sources = [c.source for c in understand("Which Qwen3 accuracy issue fixes were made?", day).concepts]
    assert sources == ["qwen3", "accuracy", "fixes"]
    arrive = understand("When did SM120 support arrive?", day)
    assert [c.source for c in arrive.concepts] == ["sm120", "support"]
    assert understand("Which PRs got reverted?", day).kinds == ["revert"]
    status = understand("What's the status and the story of LoRA?", day)
    assert [c.source for c in status.concepts] == ["lora"]
    assert understand("MLA 的哪些问题被解决了？", day).kinds == ["fix"]
    assert len(understand("Which PRs got reverted?", day).concepts) == 1


def test_the_glossary_knows_the_names_the_domain_abbreviates() -> None:
    """GDN is the gated delta net, MLA multi-head latent attention, EP expert parallelism, …"""
    from dailydiff.search.understand import understand

    day = dt.date(2026, 8, 23)
    assert "gdn" in understand("gated delta net decode kernels", day).concepts[0].terms
    assert "mla" in understand("multi-head latent attention", day).concepts[0].terms
    assert "pdl" in understand("programmatic dependent launch", day).concepts[0].terms
    assert "expert parallel" in understand("EP changes", day).concepts[0].terms
    assert {"pcp", "dcp"} <= set(understand("CP fixes", day).concepts[0].terms)


def test_a_word_written_in_lower_case_finds_the_commits_that_write_it_in_camel_case(
    minimax_store: MinimaxStore,
) -> None:
    """A question for "minimax": a commit writing "MiniMax" (indexed "mini max") is found too, once a commit that
    writes the name both ways shows the parts belong together."""
    data, shas = minimax_store(
        "feat(parser): backport MiniMax-M2 tool call streaming",
        "fix(minimax): the MiniMax wrapper accepts extra kwargs",
    )
    with Store.open(data) as store:
        assert set(_shas(store, "minimax")) == set(shas[:2])


def test_a_year_beside_the_time_read_is_no_idea_of_its_own() -> None:
    from dailydiff.search.understand import understand

    [gemm] = understand("2026 年第二季度 GEMM 有哪些改动", dt.date(2026, 8, 23)).concepts
    assert "gemm" in gemm.terms


def test_the_glossary_names_a_model_as_commits_write_it() -> None:
    """Commits write "DeepSeek V4" (indexed "deep seek v4") as often as "dsv4" or "deepseek-v4"."""
    from dailydiff.search.understand import understand

    [model, _fix] = understand("8 月份 DeepSeek V4 有哪些修复？", dt.date(2026, 8, 23)).concepts
    assert {"deep seek v4", "deepseek v4", "dsv4"} <= set(model.terms)


def test_a_hyphenated_word_of_known_words_is_those_words() -> None:
    """A question for "Hopper-specific" work asks for Hopper; "top-k" and "all-reduce" stay names of their own."""
    from dailydiff.search.understand import understand

    def ideas(question: str) -> list[tuple[str, ...]]:
        return [c.terms for c in understand(question, dt.date(2026, 8, 23)).concepts]

    [hopper] = ideas("Hopper-specific work since June")
    assert "hopper" in hopper and "sm90" in hopper
    moe, _fix = ideas("MoE-related fixes")
    assert "moe" in moe
    assert ideas("top-k kernels")[0] == ("top k", "topk")
    assert ideas("all-reduce fusions")[0] == ("all reduc", "allreduc")


def test_a_kind_of_change_asked_for_on_the_side_does_not_outweigh_the_subject() -> None:
    """A question "When did SM120 support arrive, and was it rolled back?" is about SM120: a rare kind (reverts) counts,
    but a revert of something else does not come before the SM120 commits."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str) -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", "medium", [], [], [], title, "",
                         "", None, "", fields={"f_title": " ".join(terms(title))})  # fmt: skip

    docs = [doc("a" * 40, 'Revert "Support lse in trtllm paged attn kernels"'),
            doc("b" * 40, "feat: add MXFP8 GEMM support for SM120")]  # fmt: skip
    understood = understand("When did SM120 support arrive, and was it rolled back?", DAY1)
    counts = {"sm120": 250, "support": 900, "revert": 20, "rollback": 5}
    hits = rank(docs, understood.concepts, 6000, counts, 10, DAY1, understood.phrases)
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]


def test_a_version_upgrade_is_an_upgrade_not_a_release() -> None:
    from dailydiff.search.understand import understand

    for question in ("CANN or torch_npu version upgrades", "CANN、torch_npu 的版本升级记录",
                     "When did main move to vLLM v0.25?"):  # fmt: skip
        assert understand(question, dt.date(2026, 8, 23)).kinds == ["upgrade"]


def test_a_name_finds_its_numbered_versions_and_a_version_still_finds_its_own(
    minimax_store: MinimaxStore,
) -> None:
    """ "GLM5.2" and "Qwen3" are indexed with the name alone beside them: "GLM" finds "GLM5.2", "qwen" finds
    "Qwen3"; "Qwen3.5" is still the phrase "qwen3 5"; two letters are no name ("SM120", "FP8" stay whole)."""
    from dailydiff.common.searchterms import index_terms, terms

    assert index_terms("Fix GLM5.2 on SM120 FP8 Qwen3.5") == [
        "fix", "glm", "glm5", "2", "on", "sm120", "fp8", "qwen", "qwen3", "5"]  # fmt: skip
    assert terms("GLM5.2") == ["glm5", "2"]  # a question's own terms are not widened
    # a word after a number in camel case is a word of its own
    assert terms("RMSNorm+FP4Quant Qwen3MoE W4A16") == [
        "rms", "norm", "fp4", "quant", "qwen3", "moe", "w4a16"]  # fmt: skip
    data, shas = minimax_store("fix: GLM5.2 tool-call streaming", "feat: Qwen3.5 MTP on NPU")
    with Store.open(data) as store:
        assert _shas(store, "GLM fixes")[:1] == [shas[0]]
        assert _shas(store, "glm5")[:1] == [shas[0]]
        assert set(_shas(store, "qwen")) == {shas[1], shas[2]}  # "Qwen3.5" and the third commit's "Qwen3"
        assert _shas(store, "Qwen3.5")[:1] == [shas[1]]


def test_one_name_written_with_a_slash_is_one_idea() -> None:
    """ "P/D" is the disaggregation the glossary knows as "PD" (and titles write "[P/D]"), one idea with the
    "分离" beside it, not two ideas "P" and "D"; "I/O" is "io" or "i o"."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)
    pd, fix = understand("7 月 P/D 分离修了哪些问题？", today).concepts
    assert {"pd", "p d", "disaggreg", "分离"} <= set(pd.terms) and fix.kind and "fix" in fix.terms
    assert [c.terms for c in understand("I/O errors", today).concepts] == [
        ("error", "错误", "报错"),
        ("io", "i o"),
    ]


def test_a_lower_case_plural_the_stemmer_keeps_is_also_its_name() -> None:
    """ "gpus" is also "gpu" (the index holds "GPUs" so); a word the index does not hold adds nothing."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)
    assert [c.terms for c in understand("npus", today).concepts] == [("npus", "npu")]
    assert [c.terms for c in understand("ops", today).concepts] == [("op",)]  # the stemmer's own


def test_side_is_a_questions_word_and_deepseek_is_also_dsv4() -> None:
    """ "on the CI side" asks for CI; "DeepSeek" is also what titles abbreviate it to ("DSv4", "DSv3")."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)
    assert [c.source for c in understand("what happened on the CI side this month?", today).concepts] == [
        "ci"
    ]
    deepseek, fix = understand("上个月 DeepSeek 相关的修复有哪些？", today).concepts
    assert {"deepseek", "dsv4", "dsv3"} <= set(deepseek.terms) and fix.kind
    assert understand("DSv4 bugs", today).concepts[0].terms == ("deepseek v4", "deep seek v4", "dsv4")


def test_what_a_name_is_of_adds_to_a_score_and_is_not_asked_of_every_commit() -> None:
    """ "b12x 后端": a commit about b12x kernels that does not say "backend" is as much about the b12x backend
    as one that does, and comes before another SM120 backend's; alone, "backends" is the subject."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str) -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", "medium", [], [], [], title, "",
                         "", None, "", fields={"f_title": " ".join(terms(title))})  # fmt: skip

    b12x, head = understand("今年以来 b12x 后端都做了哪些事？", DAY1).concepts
    assert "b12x" in b12x.terms and not b12x.optional and head.optional and "backend" in head.terms
    docs = [doc("a" * 40, "Add MXFP8 MoE GEMM entry (cute SM120 backend)"),
            doc("b" * 40, "feat(moe): add SM120 W4A16 b12x kernels")]  # fmt: skip
    counts = {"b12x": 78, "sm120": 246, "backend": 940}
    hits = rank(docs, [b12x, head], 6000, counts, 10, DAY1)
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]
    assert [c.optional for c in understand("which backends changed?", DAY1).concepts] == [False]


def test_a_question_for_a_kind_only_finds_first_the_titles_that_start_with_it() -> None:
    """ "What CI, test or release changes happened?": "ci: …" and "test(moe): …" are such changes before a
    feature that also adds tests, however much its analysis speaks of CI and releases."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str, types: list[str], analysis: str = "") -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", "medium", types, [], [], title, "",
                         "", None, "", fields={"f_title": " ".join(terms(title)),
                                               "f_analysis": " ".join(terms(analysis))})  # fmt: skip

    docs = [doc("a" * 40, "feat(moe): add B12x backends to the MoE API and add corresponding tests",
                ["feature", "test"], "New tests in CI; the release wheel packages the backend"),
            doc("b" * 40, "feat: E2E MoE LoRA integration with the bgmv backend", ["feature", "test"],
                "E2E tests run in CI before the release"),
            doc("c" * 40, "test(moe): add tests for the fused MoE with GeGLU activation", ["test"]),
            doc("d" * 40, "ci: derive long-running test buckets from pytest markers", ["ci_build", "test"])]  # fmt: skip
    understood = understand("What CI, test, release or packaging changes happened in July?", DAY1)
    counts = {
        "ci": 300,
        "test": 900,
        "e2e": 40,
        "releas": 200,
        "bump": 100,
        "version": 400,
        "wheel": 50,
        "packag": 80,
    }
    assert [h.doc.sha[0] for h in rank(docs, understood.concepts, 6000, counts, 10, DAY1)] == [
        "d",
        "c",
        "b",
        "a",
    ]


def test_a_title_starts_with_a_kind_after_its_tags() -> None:
    """ "[BugFix] Revert all2all quantization" starts with a revert as much as "Revert …" does: before a
    title that names "/revert" further on."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str, types: list[str]) -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", "medium", types, [], [], title, "",
                         "", None, "", fields={"f_title": " ".join(terms(title))})  # fmt: skip

    docs = [doc("a" * 40, "[CI] add /revert slash command and fix cherry-pick PR refresh bug",
                ["feature", "revert", "ci_build"]),
            doc("b" * 40, "[BugFix] Revert pre-KV ACL graph profiling to fix lmhead TP hang", ["bugfix", "revert"])]  # fmt: skip
    understood = understand("Which commits were reverted in July?", DAY1)
    hits = rank(docs, understood.concepts, 6000, {"revert": 300}, 10, DAY1)
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]


def test_words_apart_around_slashes_are_alternatives_and_a_path_has_none() -> None:
    """ "norm / rope / activation kernels" names three things, any of which counts; "csrc/fused_moe/*.cu" is
    a path: the directories its glob names, in order."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)
    ideas = {
        c.source: c
        for c in understand("norm / rope / activation kernels - any fixes this year?", today).concepts
    }
    assert {"norm", "rope", "activ"} <= set(ideas["norm / rope / activation"].terms)
    assert [c.terms for c in understand("changes to csrc/fused_moe/*.cu", today).concepts] == [
        ("csrc fuse moe",)
    ]


def test_what_parentheses_name_belongs_to_the_thing_they_are_names_or_variants_of() -> None:
    """Variants in parentheses are the thing's, not a verb's ("got added (FP8 / FP4)"), and names a concept
    already knows go to that concept ("Blackwell FMHA (SM100 / SM103)": SM100 is Blackwell, not FMHA)."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)
    gemm = understand(
        "which new gemm variants got added in july (fp8 / fp4 / bf16 / grouped)?", today
    ).concepts
    assert [c.source for c in gemm if "fp8" in c.terms] == ["variants / fp8 / fp4 / bf16 / grouped"]
    assert [c.terms for c in gemm if "add" in c.terms] == [("add",)]
    fmha = understand("blackwell fmha (sm100 / sm103) - what went in?", today).concepts
    assert [c.terms for c in fmha if "fmha" in c.terms] == [("fmha",)]
    assert [c.source for c in fmha if "sm103" in c.terms] == ["blackwell / sm100 / sm103"]


def test_a_kind_asked_on_the_side_counts_for_less_than_the_subject() -> None:
    """ "Blackwell FMHA: what went in, and was any of it rolled back?": an FMHA commit comes before a
    revert of something else; asked for itself ("norm kernels - any fixes?") a kind counts as before."""
    from dailydiff.common.searchterms import terms
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand
    from dailydiff.store.search import SearchDoc

    def doc(sha: str, title: str, types: list[str]) -> SearchDoc:
        return SearchDoc("o/r", sha, "en", DAY1, "2026-03-02T09:00:00+00:00", "medium", types, [], [], title, "",
                         "", None, "", fields={"f_title": " ".join(terms(title))})  # fmt: skip

    today = dt.date(2026, 8, 23)
    question = "blackwell fmha (sm100 / sm103) - what went in and was any of it rolled back?"
    understood = understand(question, today)
    assert [c.aside for c in understood.concepts if c.kind] == [True]
    assert [c.aside for c in understand("norm kernels - any fixes this year?", today).concepts if c.kind] == [
        False
    ]
    docs = [doc("a" * 40, 'Revert "Support lse in trtllm paged attn kernels"', ["revert"]),
            doc("b" * 40, "feat: Grouped-token MLA support for the TRTLLM-Gen FMHA backend", ["feature"])]  # fmt: skip
    counts = {"sm100": 320, "blackwel": 310, "fmha": 160, "revert": 150}
    assert [h.doc.sha[0] for h in rank(docs, understood.concepts, 6600, counts, 10, today)] == ["b", "a"]


def test_ci_release_and_packaging_are_three_kinds() -> None:
    """ "release related commits" asks for releases, not for CI workflows; "CI, release or packaging" asks
    for any of the three."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)
    (release,) = understand("release related commits this month?", today).concepts
    assert "releas" in release.terms and "ci" not in release.terms and "wheel" not in release.terms
    (ci,) = understand("what ci changes happened in july?", today).concepts
    assert "ci" in ci.terms and "releas" not in ci.terms
    (listed,) = understand("What CI, release or packaging changes happened in July?", today).concepts
    assert {"ci", "releas", "wheel"} <= set(listed.terms) and listed.kind


def test_a_revert_that_came_back_comes_first_with_its_reland_however_both_are_titled(tmp_path: Path) -> None:
    """vllm-ascend writes reverts as '[Revert] Revert "…"' and re-lands as "Reapply …": the revert is still
    paired with its re-land, and that pair comes before a revert nothing brought back."""
    from dailydiff.search import reverted_title

    assert reverted_title('[Revert] "[Bugfix] Fix main2main eplb" (#12619)') == "[Bugfix] Fix main2main eplb"
    assert reverted_title('[BugFix] Revert "Bump Mooncake" (#11366)') == "Bump Mooncake"
    assert reverted_title("Revert PR 4122 (#4171)") is None and reverted_title("fix: revert a flag") is None
    day = dt.date(2026, 7, 3)
    title = "[Refactor][Test] Simplify MC2 capacity and MoE comm selection"
    specs = [CommitSpec(f"{title} (#11000)", _at(day, 7), edits=[FileEdit("mc2.py", "x = 1\n")]),
             CommitSpec('[Misc] Revert "Bump Mooncake to v0.3.11 in the Dockerfiles"', _at(day, 8),
                        edits=[FileEdit("Dockerfile", "FROM a\n")]),
             CommitSpec(f'[Revert] Revert "{title}" (#11415)', _at(day, 9), edits=[FileEdit("mc2.py", "")]),
             CommitSpec("docs: the MC2 guide", _at(day, 10), edits=[FileEdit("docs/mc2.md", "# M\n")]),
             CommitSpec("[Refactor][Test] Reapply MC2 capacity and MoE comm selection (#11429)", _at(day, 11),
                        edits=[FileEdit("mc2.py", "x = 2\n")])]  # fmt: skip
    data, shas = _reported(tmp_path, "ascend", specs, day)
    with Store.open(data) as store:
        found = [
            h.doc.sha for h in find(store, "what got reverted and then re-landed?", SearchFilters()).hits
        ]
    assert found[:3] == [shas[2], shas[4], shas[1]], found


def test_a_word_finds_the_kinds_of_it_and_not_the_other_way_round() -> None:
    """The glossary's narrower names: "norm" is also RMSNorm and LayerNorm, "fp4" NVFP4 and MXFP4; a question
    for RMSNorm is not one for LayerNorm, nor one for NVFP4 for MXFP4."""
    from dailydiff.search.understand import understand

    today = dt.date(2026, 8, 23)

    def alternatives(question: str) -> set[str]:
        return {t for c in understand(question, today).concepts for t in c.terms}

    assert {"rmsnorm", "rms norm", "layernorm"} <= alternatives("norm kernel fixes")
    assert {"rmsnorm", "layernorm"} <= alternatives("归一化的修复")
    assert "sm120" in alternatives("SM120 desktop blackwell moe") and "blackwel" not in alternatives(
        "desktop blackwell moe"
    )
    assert "layernorm" not in alternatives("RMSNorm 相关的内核有哪些更新？")
    assert {"nvfp4", "mxfp4"} <= alternatives("fp4 gemm") and "mxfp4" not in alternatives("nvfp4 gemm")
    assert {"top p", "gumbel"} <= alternatives("sampling perf") and "sampl" not in alternatives("top-p fixes")
    assert {"top k", "topk"} <= alternatives("sampling perf") and "sampl" not in alternatives("faster topk")
    assert {"fmha", "xqa", "mla"} <= alternatives("attention fixes") and "attent" not in alternatives(
        "xqa fixes"
    )
    assert {"mm", "bmm"} <= alternatives("gemm bugfixes") and "gemm" not in alternatives("bmm fixes")
    assert "main2main" in alternatives(
        "7 月份 vllm 版本对齐的 pr"
    )  # vllm-ascend's word for following vLLM main


def test_what_parentheses_name_belongs_to_the_word_before_them_not_to_a_broader_word() -> None:
    """ "attention backend changes (fa2 / trtllm-gen / xqa)": the parentheses name backends. That "attention"
    is also XQA (a kind of it) does not make them attention's names, so a commit naming only "trtllm-gen"
    (an MoE one) is not an attention commit; the question is still one for attention's kinds."""
    from dailydiff.search.understand import understand

    concepts = understand(
        "attention backend changes in june (fa2 / trtllm-gen / xqa)", dt.date(2026, 8, 23)
    ).concepts
    attention = next(c for c in concepts if c.source == "attention")
    backend = next(c for c in concepts if "backend" in c.terms)
    assert {"fa2", "trtllm gen"} <= set(backend.terms) and "trtllm gen" not in attention.terms
    assert {"fmha", "xqa"} <= set(attention.terms)
    assert [c.source for c in understand("faster ones, comm stuff", DAY1).concepts] == ["faster", "comm"]


def test_a_kind_of_change_is_as_rare_as_the_commits_typed_so(tmp_path: Path) -> None:
    """ "Routing test changes": every commit of a kernel library names tests somewhere, so the word "test" is
    in nearly all of them and rare by no count; a test change is what the analysis typed so, and that is
    rare. The test change comes before an important fix whose message only names a test; the store counts
    the commits each kind is typed by."""
    from dailydiff.models import ChangeType
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand

    docs = [_typed_doc("a" * 40, "fix(moe): routing overflow in the routing kernel", "high", "bugfix",
                "Found by the routing test; the test passes now."),
            _typed_doc("b" * 40, "test: cover the routing kernel", "low", "test")]  # fmt: skip
    understood = understand("routing test changes", DAY1)
    counts = {"rout": 10, "test": 95, "bugfix": 30}
    hits = rank(docs, understood.concepts, 100, counts, 10, DAY1, understood.phrases, {"test": 10})
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]

    fixes = [
        f"fix(moe): routing tail {n}\n\nThe nightly test run found it; its test passes now." for n in range(3)
    ]
    commits = [CommitSpec(fix, _at(DAY1, 8 + n), edits=[FileEdit(f"src/k{n}.cu", "int x;\n")])
               for n, fix in enumerate(fixes)]  # fmt: skip
    commits.append(
        CommitSpec("test: cover the routing kernel", _at(DAY1, 16), edits=[FileEdit("tests/t.py", "x = 1\n")])
    )
    data, _ = _reported(tmp_path, "repo", commits, DAY1)
    with Store.open(data) as store:
        assert store.search_type_counts([ChangeType.TEST, ChangeType.BUGFIX]) == {"test": 1, "bugfix": 3}
        assert find(store, "routing test changes", SearchFilters()).hits[0].doc.title.startswith("test:")


def test_examples_after_the_question_add_to_a_score_and_are_asked_of_no_commit() -> None:
    """ "ci changes in august? workflows, runners, sccache etc", "moe 的 refactor？比如 routing 重构、runner /
    config 拆分": the question proper asks; the examples after it add to a commit's score, and none of them
    is required. A list that is the whole question ("what changed? attention, moe") is what it asks."""
    from dailydiff.search.understand import understand

    def required(question: str) -> list[str]:
        return [c.source for c in understand(question, DAY1).concepts if not c.optional]

    assert required("ci changes in august? workflows, runners, ci images, sccache etc") == ["ci"]
    assert required("moe 这边做过哪些 refactor？比如 routing 重构、runner / config 拆分之类的") == [
        "moe",
        "重构",
    ]
    assert required("anything deprecated? deprecation policy, deprecated params/apis") == ["deprecated"]
    assert required("blackwell fmha (sm100 / sm103) - what went in and was any of it rolled back?")[:2] == [
        "blackwell / sm100 / sm103",
        "fmha",
    ]
    assert required("310p 上做过哪些性能优化？（算子、moe routing、attention 之类）") == ["310p", "性能优化"]
    assert "attention" in required("attention - what changed? fixes, perf")
    assert len(required("what changed? attention, moe")) >= 1


def test_a_kind_the_question_asks_not_to_see_comes_after_the_others() -> None:
    """ "mrv2 new feature support in august? not bugfix", "只看新功能，不要 bugfix": a commit that is only a fix, or
    titled one, comes after the features however much it says the question's words."""
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand

    for question in (
        "mrv2 new features? not bugfix",
        "mrv2 有哪些新功能？不要 bugfix",
        "mrv2 features (no bugfixes pls)",
    ):
        understood = understand(question, DAY1)
        assert [c.source for c in understood.concepts if c.excluded] in (["bugfix"], ["bugfixes"]), question
        assert (
            understood.kinds == ["feature"]
            and "bugfix" not in understood.terms
            and "pls" not in understood.terms
        )
        docs = [_typed_doc("a" * 40, "[BugFix] mrv2: fix the mrv2 feature flag for mrv2 graphs", "high", "bugfix"),
                _typed_doc("b" * 40, "[Feature] mrv2: pipeline parallel", "low", "feature")]  # fmt: skip
        hits = rank(docs, understood.concepts, 100, {"mrv2": 5, "featur": 40}, 10, DAY1, understood.phrases)
        assert [h.doc.sha[0] for h in hits] == ["b", "a"], question
    # "是不是回退过" asks whether it was reverted: a question, not "not reverted".
    asked = understand("Mooncake 版本升级之后是不是回退过？", DAY1)
    assert not any(c.excluded for c in asked.concepts) and "revert" in asked.kinds


def test_a_subject_the_question_asks_not_to_see_comes_after_the_others() -> None:
    """ "top-k kernels (not MoE routing)": the MoE routing commits that also say top-k come after the top-k
    kernels' own; no commit is asked to say "not", "moe" or "routing"."""
    from dailydiff.search.rank import rank
    from dailydiff.search.understand import understand

    understood = understand("What changed in the top-k kernels (not MoE routing)?", DAY1)
    assert [c.source for c in understood.concepts if c.excluded] == ["moe", "routing"]
    assert "not" not in understood.terms and "moe" not in understood.terms
    docs = [_typed_doc("a" * 40, "Optimize MoE routing top-k reduction for top-k kernels", "high", "performance"),
            _typed_doc("b" * 40, "fix(topk): radix top-k hang", "low", "bugfix")]  # fmt: skip
    counts = {"top k": 30, "topk": 20, "kernel": 400, "moe": 300, "rout": 100}
    hits = rank(docs, understood.concepts, 1000, counts, 10, DAY1, understood.phrases)
    assert [h.doc.sha[0] for h in hits] == ["b", "a"]
    # "MoE routing fixes, not the top-k kernels": only what follows the "not" is put last
    # a "not" inside the question is no list of what not to see: "not deterministic" asks about determinism
    asked = understand("Why is sampling not deterministic?", DAY1)
    assert not any(c.excluded for c in asked.concepts)
    other = understand("MoE routing fixes, not the top-k kernels", DAY1)
    assert [c.source for c in other.concepts if c.excluded] == ["top-k", "kernels"]
    assert [c.source for c in other.concepts if not c.excluded and not c.kind] == ["moe", "routing"]


def test_what_a_subject_is_used_for_and_its_compatibility_are_asked_of_no_commit() -> None:
    """ "top-k kernels used for sparse attention": a top-k commit that does not say what it serves is about
    them; "CUDA graph compatibility" is asked by a commit that says "CUDA graph support" as well."""
    from dailydiff.search.understand import understand

    def required(question: str) -> list[str]:
        return [c.source for c in understand(question, DAY1).concepts if not c.optional and not c.kind]

    assert required("What changed in the top-k kernels used for sparse attention?") == ["top-k"]
    assert required("which top-k kernels that are used by sparse attention got fixes?") == ["top-k"]
    assert required("用于稀疏注意力的 top-k 内核有哪些改动？") == ["top-k"]
    assert required("What work went into CUDA graph compatibility?") == ["cuda graph"]
    assert "sampling" in required("which kernels are used for sampling?")  # nothing else is asked
    assert required("which compatibility fixes went in?") == ["compatibility"]  # alone, it is the subject


def test_the_word_that_sets_apart_a_thing_whose_kinds_are_named_is_asked_of_no_commit() -> None:
    """ "custom schedulers (recompute, balance)": a commit to the recompute scheduler that never says "custom"
    is what is asked; "top-k kernels (radix, filtered)" still asks for top-k (the kinds are the kernels')."""
    from dailydiff.search.understand import understand

    def required(question: str) -> list[str]:
        return [c.source for c in understand(question, DAY1).concepts if not c.optional and not c.kind]

    assert required("What changed in the custom schedulers (recompute, balance, short-request-first)?") == [
        "schedulers / recompute / balance / short-request-first"
    ]
    assert required("Which commits worked on the top-k kernels (filtered top-k, radix)?")[0] == "top-k"
    assert required("custom schedulers (recompute) fixes?")[0] == "custom"  # one kind named: a name of it


def test_a_general_word_after_two_names_with_a_slash_is_no_name_of_them() -> None:
    """ "speculative decoding / MTP support": "support" is what both got, not a third name of them (a commit
    that says "support" would be about speculative decoding)."""
    from dailydiff.search.understand import understand

    concepts = understand("What speculative decoding / MTP support went into the kernels?", DAY1).concepts
    named = next(c for c in concepts if "mtp" in c.terms)
    assert "support" not in named.terms and "specul decod" in named.terms
    assert [c.source for c in concepts if not c.optional] == ["speculative decoding / mtp"]


def test_dropped_removed_and_deleted_are_one_idea_in_both_languages() -> None:
    """ "Which custom ops were dropped?" is answered by "Remove unused custom operators"; "删除了哪些算子" too."""
    from dailydiff.search.understand import understand

    for question in ("Which custom ops were dropped since June?", "6 月以来删除了哪些自定义算子？"):
        concepts = understand(question, DAY1).concepts
        gone = next(c for c in concepts if "drop" in c.terms)
        assert {"remov", "delet", "drop"} <= set(gone.terms), question


def test_a_backport_is_a_kind_of_change() -> None:
    """ "parser fixes or backports": a fix or a backport is asked for, not a commit that is both; "cherry-picked"
    and 回合 say the same."""
    from dailydiff.search.understand import understand

    concepts = understand("Which reasoning parser fixes or backports went in?", DAY1).concepts
    asked = [c for c in concepts if c.kind]
    assert len(asked) == 1 and {"fix", "backport"} <= set(asked[0].terms)
    assert "backport" in understand("哪些修复被回合到了 release 分支？", DAY1).kinds


def test_a_vllm_upgrade_is_a_main2main() -> None:
    """vllm-ascend upgrades to upstream vLLM in "main2main" commits: "vLLM upgrades" asks for them."""
    from dailydiff.search.understand import understand

    concepts = understand("Which upstream vLLM upgrades happened between March and June?", DAY1).concepts
    assert any("main2main" in c.terms and not c.optional for c in concepts)


def test_that_a_thing_was_added_is_asked_of_no_commit() -> None:
    """ "Which GDN ops were added?": "feat: GDN chunked prefill op" never says "add"; "what was added?" alone
    still asks for it."""
    from dailydiff.search.understand import understand

    def required(question: str) -> list[str]:
        return [c.source for c in understand(question, DAY1).concepts if not c.optional and not c.kind]

    assert required("Which GDN ops were added in July?") == ["gdn", "ops"]
    assert required("什么时候 introduced 的 GDN？") == ["gdn"]
    assert required("what was added?") == ["added"]


def test_what_a_kind_of_change_is_made_of_is_asked_of_no_commit() -> None:
    """ "CI or test infra changes": a "ci: …" commit is asked for, whether or not it says "infra"; "infra" alone
    after no kind ("infra for the A3 cluster") is asked."""
    from dailydiff.search.understand import understand

    def required(question: str) -> list[str]:
        return [c.source for c in understand(question, DAY1).concepts if not c.optional]

    assert required("what CI or test infra changes happened in july?") == ["ci / test"]
    assert required("What changed in CI and the test infrastructure in August?") == ["ci", "test"]
    assert "infra" in required("which infra changes went in for the A3 cluster?")


def test_a_quantization_scheme_is_a_kind_of_quantization_not_another_name_of_it() -> None:
    """ "W8A8 quantization fixes" asks for W8A8, not for any quantization fix (a W4A8 one); "quantization
    fixes" still finds the W8A8 ones."""
    from dailydiff.search.understand import understand

    concepts = understand("Which W8A8 quantization fixes went in since June?", DAY1).concepts
    subjects = [c for c in concepts if not c.kind and not c.optional]
    assert subjects[0].terms == ("w8a8",)
    assert "w8a8" in understand("quantization fixes", DAY1).concepts[0].terms
    assert "quantiz" not in understand("w4a16 kernels", DAY1).concepts[0].terms


def test_sm120_and_sm121_are_two_gpus_of_the_sm12x_family() -> None:
    """ "DGX Spark (SM121 / GB10)" is not a question for SM120 (RTX Pro) commits; both are SM12x, and a commit
    for "SM12x" is one for either."""
    from dailydiff.search.understand import understand

    spark = understand("What was done for DGX Spark (SM121 / GB10) in March?", DAY1).concepts[0]
    assert {"sm121", "gb10", "sm12x"} <= set(spark.terms) and "sm120" not in spark.terms
    rtx = understand("SM120 nvfp4 MoE fixes", DAY1).concepts[0]
    assert "sm12x" in rtx.terms and "sm121" not in rtx.terms
    family = understand("SM12x changes", DAY1).concepts[0]
    assert {"sm120", "sm121", "b12x"} <= set(family.terms)


def test_the_history_of_a_thing_asks_for_the_thing() -> None:
    """ "What's the history of the MNNVL code?" asks for MNNVL commits; none of them says "history"."""
    from dailydiff.search.understand import understand

    assert [c.source for c in understand("What is the history of the MNNVL all-reduce?", DAY1).concepts] == [
        "mnnvl",
        "all-reduce",
    ]


def test_a_kinds_bumps_are_that_kind() -> None:
    """ "Dependency bumps for cutlass / cudnn": one kind of change (a dependency's version), not a dependency
    change that is also a release; "test fixes" are still both; "when did X land" asks no commit for "land"."""
    from dailydiff.search.understand import understand

    def kinds(question: str) -> list[str]:
        return [c.source for c in understand(question, DAY1).concepts if c.kind]

    assert kinds("dependency bumps for cutlass / cudnn?") == ["dependency / bumps"]
    assert kinds("test fixes in july") == ["test", "fixes"]
    # a version upgrade is what a "Bump actions/checkout from 4 to 7" commit says; a release is its own kind
    upgrade = understand("github actions 版本升级从六月开始有哪些？", DAY1).concepts[-1]
    assert upgrade.kind and "bump" in upgrade.terms and "releas" not in upgrade.terms
    assert [c.source for c in understand("when did sm121 enablement land?", DAY1).concepts] == [
        "sm121",
        "enablement",
    ]
    came = understand("anything reverted in july? did it come back?", DAY1).concepts
    assert [c.source for c in came] == ["come back"]  # one kind, no word "back" every commit must hold


def test_a_repository_the_question_names_is_where_it_searches(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """ "flashinfer sampling fixes": flashinfer's commits never say "flashinfer"; another repository's commit
    that calls flashinfer is not one of them. Without the name, both repositories are searched."""
    _repo, data, shas = history
    calls = CommitSpec("fix(sampling): call flashinfer top-p sampling with a NaN guard", _at(DAY1, 12),
                       edits=[FileEdit("python/sglang/sampling.py", "x = 1\n")])  # fmt: skip
    _reported(tmp_path, "sglang", [calls], DAY1, data)
    with Store.open(data) as store:
        named = find(store, "flashinfer sampling fixes", SearchFilters())
        unnamed = find(store, "sampling fixes", SearchFilters())
    assert {h.doc.repo for h in named.hits} == {"flashinfer"} and named.hits[0].doc.sha == shas[1]
    assert named.filters.repos == ("flashinfer",)
    assert {h.doc.repo for h in unnamed.hits} == {"flashinfer", "sglang"}
    # Two names, one inside the other: the longer is where; the shorter stays a word its commits hold.
    traces = [CommitSpec("feat: trace flashinfer sampling kernels", _at(DAY1, 13),
                         edits=[FileEdit("traces/sampling.json", "{}\n")]),
              CommitSpec("feat: trace the gemm kernels", _at(DAY1, 14),
                         edits=[FileEdit("traces/gemm.json", "{}\n")])]  # fmt: skip
    _reported(tmp_path, "flashinfer-bench", traces, DAY1, data)
    with Store.open(data) as store:
        both = find(store, "flashinfer-bench traces of flashinfer sampling", SearchFilters())
    assert both.filters.repos == ("flashinfer-bench",) and both.repo_words == ["flashinfer-bench"]
    assert [h.doc.title for h in both.hits][:1] == ["feat: trace flashinfer sampling kernels"]


def test_a_question_is_read_within_its_bounds_and_says_what_was_cut(
    history: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    """A question's length and its words are capped, with one line that says so: a 20,000-character word
    (which took 9-11 s, read whole by regular expressions that back off on every start) is read as its first
    100 characters, a 200 KB question as its first 1,000; the words before the cut still find their commit."""
    from dailydiff.search import MAX_QUESTION_CHARS, MAX_WORD_CHARS, bounded

    _repo, data, shas = history
    long_word = "FP8 GEMM " + "x" * 20_000
    text = dailydiff("search", long_word, "--data-dir", str(data), cwd=tmp_path)
    assert text.stdout.splitlines()[0].startswith(f" 1. [{shas[3][:7]}]")
    notes = [line for line in text.stderr.splitlines() if "characters" in line]
    assert notes == ["dailydiff: a word of 20,000 characters is read as its first 100"]
    pasted = "FP8 GEMM " + "attention decode " * 12_000  # 204 KB
    out = json.loads(dailydiff("search", pasted, "--json", "--data-dir", str(data), cwd=tmp_path).stdout)
    assert out["capped"] == f"only the first 1,000 of the question's {len(pasted):,} characters are read"
    assert len(out["question"]) == MAX_QUESTION_CHARS and {shas[3], shas[0]} <= {
        c["sha"] for c in out["commits"]
    }
    both, said = bounded("a" * 5000 + " 注意力" * 1000)
    assert len(both) == MAX_QUESTION_CHARS and max(len(w) for w in both.split()) == MAX_WORD_CHARS
    assert said == ("a word of 5,000 characters is read as its first 100; "
                    "only the first 1,000 of the question's 9,000 characters are read")  # fmt: skip
    chinese = "注意力后端在长序列下的越界访问" * 20  # 300 characters: a Chinese run is many words, none cut
    assert bounded(chinese) == (chinese, "")


def test_the_offline_listing_puts_the_best_match_first_whatever_its_month() -> None:
    """Issue 63: `ask --no-llm` listed by date, its best match fourth. Months and commits follow relevance."""
    from dailydiff.search import SearchResult, filters_from
    from dailydiff.search.answer import offline_listing
    from dailydiff.search.rank import Hit
    from dailydiff.store.search import SearchDoc

    def hit(sha: str, day: dt.date, score: float) -> Hit:
        doc = SearchDoc(repo="o/r", sha=sha * 40, language="en", date=day, committed_at=f"{day}T09:00:00Z",
                        level="low", change_types=[], topics=[], paths=[], title=f"title {sha}", summary="",
                        url="", pr_number=None, pr_url="")  # fmt: skip
        return Hit(doc, score, ())

    hits = [hit("a", dt.date(2026, 3, 2), 9.0), hit("c", dt.date(2026, 4, 1), 7.0),  # the search's order
            hit("b", dt.date(2026, 4, 20), 5.0), hit("d", dt.date(2026, 3, 30), 1.0)]  # fmt: skip
    result = SearchResult("q", ["q"], filters_from(None, None, None, None, None, None, None), hits, 4)
    listed = [line.strip()[1:2] for line in offline_listing(result, "en").splitlines() if "[" in line]
    assert listed == ["a", "d", "c", "b"]  # March holds the best match; in April, c outranks b


def test_the_remembered_terms_of_a_token_are_the_terms_made_word_by_word() -> None:
    """``terms``/``index_terms`` remember each token's terms: over real commit texts (titles, bodies, paths,
    Chinese labels) and full-width, versioned and numbered names, they are the terms made the plain way,
    token by token, with a "v" dropped only before a dotted number that no letter or digit precedes."""
    from dailydiff.common import searchterms as st

    seeds = json.loads(
        (Path(__file__).parents[1] / "data" / "seed_change_types.json").read_text(encoding="utf-8")
    )
    bodies = json.loads((Path(__file__).parents[1] / "data" / "pr_bodies.json").read_text(encoding="utf-8"))[
        "bodies"
    ]
    texts = [t for b in bodies for t in (b["title"], b["body"])] + [
        t for s in seeds for t in (s["title"], s["label"])
    ]
    texts += [
        "v0.25 Av0.25 v1 V2.0.1 xv3.1 (v4.2) ＦＰ８ 7月 GLM5 Qwen3MoE vLLM cuDNN GPUs int32 sm120 修复 GLM5 的问题 v"
    ]
    version = re.compile(r"(?<![A-Za-z0-9])[vV](?=\d+\.\d)")

    def plain(text: str, index: bool) -> list[str]:
        out: list[str] = []
        for token in st._TOKEN_RE.findall(version.sub("", st.plain_width(text))):
            for term in st._cjk(token) if st._CJK_RE.match(token) else st._latin(token):
                named = st._NUMBERED_NAME_RE.fullmatch(term) if index else None
                out += [st._stem(named.group(1)), term] if named else [term]
        return out

    for _ in range(2):  # the second time from what was remembered
        for text in texts:
            assert st.terms(text) == plain(text, index=False)
            assert st.index_terms(text) == plain(text, index=True)
    assert st.index_terms("Qwen3 v0.25 修复")[:4] == ["qwen", "qwen3", "0", "25"]


def test_sqlite_ranks_without_filters_as_the_query_joined_with_each_day(tmp_path: Path) -> None:
    """Without filters SQLite's index ranks the candidates alone, and reads the days only of rows ranked
    alike (store/search.py ``_ranked_ids``): the same rows in the same order as the query that joins every
    matching row's day, ties by the newest day included: here each commit is stored in three repositories on
    three days, ranked alike, so every cut falls in ties."""
    from dailydiff.store import search as index
    from publish_reports import make_report

    report = make_report(40)
    with Store.open(tmp_path) as store:
        for n in range(3):
            repo = f"org/lib{n}"
            store.save_report(report.model_copy(update={
                "repo": repo, "date": report.date + dt.timedelta(days=n),
                "commits": [c.model_copy(update={"repo": repo}) for c in report.commits]}))  # fmt: skip
        everything = SearchFilters(levels=("high", "medium", "low"))  # a filter: the joined query
        terms = [t for t in report.commits[0].message.lower().split()[:3] if t.isalpha()][:2] or ["fix"]
        for scan in (1, 2, 3, 7, 40, 59, 60, 61, 120, 400):
            alone = index.candidates(store._db, terms, SearchFilters(), scan)
            joined = index.candidates(store._db, terms, everything, scan)
            assert alone and [(d.repo, d.sha) for d in alone] == [(d.repo, d.sha) for d in joined]
