"""The one scrub (common/secrets.py): registered values in every form they are quoted in, credentials by
pattern whoever sent them, and the sinks that apply it (log handler, settings registration)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from dailydiff.common.logs import setup_logging
from dailydiff.common.secrets import (
    SecretRegistry,
    is_weak,
    looks_like_token,
    register,
    register_url_password,
    scrub,
)
from dailydiff.settings import load_settings


def test_registered_values_are_scrubbed_in_every_quoted_form() -> None:
    reg = SecretRegistry()
    reg.register('pa"ss/word 42')
    for form in ('pa"ss/word 42', "pa%22ss%2Fword%2042", 'pa\\"ss/word 42'):
        assert reg.scrub(f"x {form} y") == "x *** y"
    reg.register("abc")  # a short secret: masked only where it stands as a secret
    assert reg.scrub("abc") == "abc" and reg.scrub("password=abc") == "password=***"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pip install 'dailydiff[postgres]'", "pip install 'dailydiff[postgres]'"),
        ("the postgres server and https://postgres.example.com/x", "the postgres server and https://postgres.example.com/x"),
        ("postgresql://app:postgres@db:5432/p5", "postgresql://***@db:5432/p5"),
        ("failed for app:postgres@db", "failed for app:***@db"),
        ("host=db password=postgres user=postgres", "host=db password=*** user=postgres"),
        ('{"password": "postgres", "user": "postgres"}', '{"password": "***", "user": "postgres"}'),
        ("PGPASSWORD=postgres psql", "PGPASSWORD=*** psql"),
        ("X-Api-Key: postgres", "X-Api-Key: ***"),
        ("Authorization: Basic postgres", "Authorization: Basic ***"),
        ("GET /x?token=postgres&page=2", "GET /x?token=***&page=2"),
        ("Authorization: Bearer q1", "Authorization: Bearer ***"),  # 2 characters: still masked there
        # In a header without a scheme (the header's own pattern wants a digit or 16 characters there), with
        # the text after it kept.
        ("Authorization: postgres\nAccept: */*", "Authorization: ***\nAccept: */*"),
        ("Cookie: postgres; theme=dark", "Cookie: ***; theme=dark"),
        ("{'Proxy-Authorization': 'postgres', 'x': 1}", "{'Proxy-Authorization': '***', 'x': 1}"),
        ("Authorization: Basic postgres, then postgres", "Authorization: Basic ***, then postgres"),
    ],
)  # fmt: skip
def test_a_weak_secret_is_masked_only_where_it_stands_as_a_secret(text: str, expected: str) -> None:
    reg = SecretRegistry()
    reg.register_all(["postgres", "q1"])
    assert reg.scrub(text) == expected


@pytest.mark.parametrize(
    ("value", "weak"),
    [("postgres", True), ("admin123", True), ("Summer2024", True), ("s3cr", True), ("PASSWORD!", True),
     ("k9#Lq2!vX7", False), ("regHOOK0003", False), ("correct-horse-battery", False), ("CANARYllm4e8d2a6f0c", False)],
)  # fmt: skip
def test_weak_means_short_or_a_word(value: str, weak: bool) -> None:
    assert is_weak(value) is weak
    reg = SecretRegistry()
    reg.register(value)
    assert (reg.scrub(f"x {value} y") == f"x {value} y") is weak  # a strong one goes wherever it stands


def test_a_webhook_url_is_secret_whole_and_in_its_id_pieces_but_not_its_words() -> None:
    reg = SecretRegistry()
    reg.register("https://hooks.example.com/services/T0AB/B0CD/tok3nSECRETpiece")
    text = "POST https://hooks.example.com/services/T0AB/B0CD/tok3nSECRETpiece failed; tok3nSECRETpiece"
    assert reg.scrub(text) == "POST *** failed; ***"
    assert reg.scrub("the services answered") == "the services answered"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: token ghp_abc", "Authorization: token ***"),
        ('{"authorization": "Bearer sk-live-1"}', '{"authorization": "Bearer ***"}'),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "{'Authorization': 'Basic ***'}"),
        ("X-Api-Key: k1234", "X-Api-Key: ***"),
        ("proxy saw Cookie: sid=abc123", "proxy saw Cookie: ***"),
        ("sent Bearer eyJhbGciOi.x1.y2 twice", "sent Bearer *** twice"),
        ("Bearer authentication is supported", "Bearer authentication is supported"),  # prose
        ("fix: Authorization: header parsing", "fix: Authorization: header parsing"),  # prose
        ("token ghp_" + "a1" * 15 + " was refused", "token *** was refused"),
        ("key sk-proj-" + "Ab3" * 8, "key ***"),
        ("slack xoxb-1234-5678-abcdefghij", "slack ***"),
        ("https://alice:s3cret@git.example.com/x.git", "https://***@git.example.com/x.git"),
        ("https://oapi.dingtalk.com/robot/send?access_token=abc123&x=1", "https://oapi.dingtalk.com/robot/send?access_token=***&x=1"),
        ("AUTH PLAIN AHJlcG9ydHMAaHVudGVyMg==", "AUTH PLAIN ***"),
        ("the token expired; check GITHUB_TOKEN", "the token expired; check GITHUB_TOKEN"),
    ],
)  # fmt: skip
def test_credentials_are_scrubbed_by_pattern_without_being_registered(text: str, expected: str) -> None:
    assert SecretRegistry().scrub(text) == expected


def test_settings_register_every_secret_they_name() -> None:
    environ = {
        "GITHUB_TOKEN": "reg-gh-token-0001",
        "MY_LLM_KEY": "reg-llm-key-0002",
        "SLACK_URL": "https://hooks.example.com/services/T1/B2/regHOOK0003",
        "SMTP_PW": "reg-smtp-pw-0004",
    }
    load_settings(
        environ=environ,
        overrides={
            "llm": {"api_key_env": "MY_LLM_KEY"},
            "publish": [
                {"type": "slack", "url_env": "SLACK_URL"},
                {"type": "email", "host": "h", "sender": "a@b.c", "recipients": ["d@e.f"], "username": "u",
                 "password_env": "SMTP_PW"},
            ],
            "repos": [{"source": "https://bob:reg-repo-pw-0005@git.example.com/x.git"}],
        },
    )  # fmt: skip
    text = " ".join([*environ.values(), "reg-repo-pw-0005", "regHOOK0003"])
    assert scrub(text) == " ".join(["***"] * 6)
    assert scrub("git.example.com/x.git") == "git.example.com/x.git"  # only the password of a URL


def test_a_url_password_is_registered_not_the_url() -> None:
    register_url_password("postgresql://app:reg-store-pw-0006@db.example.com/reports")
    assert (
        scrub("connect to db.example.com as app with reg-store-pw-0006")
        == "connect to db.example.com as app with ***"
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_log_handler_scrubs_messages_arguments_and_debug_tracebacks(fmt: str) -> None:
    register("reg-log-secret-0007")
    stream = io.StringIO()
    logger = setup_logging(verbose=True, fmt=fmt, stream=stream)
    log = logging.getLogger("dailydiff.test")
    log.debug("answer %s", {"Authorization": "Bearer abc123def456"})
    try:
        raise ValueError("server said reg-log-secret-0007")
    except ValueError:
        log.debug("failed", exc_info=True)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "reg-log-secret-0007" not in out and "abc123def456" not in out
    assert "ValueError: server said ***" in (out if fmt == "text" else "".join(
        json.loads(line).get("exception", "") for line in out.splitlines()))  # fmt: skip


def test_a_short_secret_of_the_minimum_length_is_registered_and_both_of_two_stay_registered() -> None:
    reg = SecretRegistry()
    reg.register_all(["ab1x", "second-secret-99"])
    reg.register("third-secret-77")
    assert "ab1x" in reg and "third-secret-77" in reg and "ordinary" not in reg
    # A short secret is masked where it stands as one; strong ones everywhere.
    assert reg.scrub("password=ab1x second-secret-99 third-secret-77 abc") == "password=*** *** *** abc"


def test_the_longest_registered_value_goes_first_when_one_holds_another() -> None:
    reg = SecretRegistry()
    reg.register("Kx9-Qw12")  # both strong (not a word with a few digits): replaced wherever they stand
    reg.register("Kx9-Qw12-tail7")  # the shorter one is its prefix: tried first, it would leave "-tail7"
    assert not is_weak("Kx9-Qw12") and not is_weak("Kx9-Qw12-tail7")
    assert reg.scrub("x [Kx9-Qw12-tail7] y Kx9-Qw12 z") == "x [***] y *** z"
    assert reg.scrub("x aKx9-Qw12-tail7b y") == "x a***b y"


def test_the_longest_weak_secret_goes_first_where_one_starts_another() -> None:
    reg = SecretRegistry()
    reg.register_all(["pw12", "pw12-34"])  # both weak (short): masked where they stand as a secret
    assert is_weak("pw12") and is_weak("pw12-34")
    # Tried first, "pw12" would match before the "-" (not a word character) and leave "-34" in the clear.
    assert (
        reg.scrub("password=pw12-34 and password=pw12, pw12-34") == "password=*** and password=***, pw12-34"
    )
    assert reg.scrub('{"token": "pw12-34"}') == '{"token": "***"}'


@pytest.mark.parametrize(
    ("piece", "secret"),
    [
        ("ab12cd34", True),  # 8 characters with a digit: an id
        ("ab12cd3", False),  # 7: too short to be told from a word
        ("abcdefghijklmnop", True),  # 16 letters: a token
        ("abcdefghijklmno", False),  # 15 letters: a word such as "notifications"
    ],
)
def test_a_urls_path_pieces_are_secret_by_length_and_digits(piece: str, secret: bool) -> None:
    reg = SecretRegistry()
    reg.register(f"https://hooks.example.com/services/{piece}")
    assert (reg.scrub(f"[{piece}]") == "[***]") is secret


def test_a_urls_short_password_is_registered_and_nothing_else_is_invented() -> None:
    reg = SecretRegistry()
    reg.register("https://user:pw1x@git.example.com/x.git")
    assert "pw1x" in reg and reg.scrub("password=pw1x") == "password=***"
    reg.register("https://git.example.com/x.git")  # no password: nothing is registered in its place
    for word in ("XXXX", "user", "x.git", "git", "example"):  # not even where a secret would stand
        assert reg.scrub(f"password={word} and {word}") == f"password={word} and {word}"


def test_a_malformed_url_is_secret_after_its_scheme() -> None:
    reg = SecretRegistry()
    reg.register("https://[broken/hook://tail-0001")  # urlsplit refuses it (an unclosed IPv6 bracket)
    assert reg.scrub("<[broken/hook://tail-0001>") == "<***>"
    assert reg.scrub("password=XXXX token=https") == "password=XXXX token=https"  # and no password invented


def test_a_bare_token_in_a_url_is_registered_a_username_beside_a_password_is_not() -> None:
    register_url_password(None)
    register_url_password("https://git.example.com/no-credentials.git")
    register_url_password("https://tok3n-bare-0008@github.com/acme/x.git")
    register_url_password("postgresql://reports-user:pw-0009x@db.example.com/reports")
    assert scrub("tok3n-bare-0008 pw-0009x reports-user") == "*** *** reports-user"
    assert scrub("no-credentials.git") == "no-credentials.git"


def test_a_secret_that_starts_another_goes_second_and_json_keeps_non_ascii_as_is() -> None:
    reg = SecretRegistry()
    reg.register("q7Z.abcd1234")  # strong, as the longer one
    reg.register("q7Z.abcd1234efgh")  # the shorter one is its prefix: tried first, it would leave "efgh"
    assert reg.scrub("[q7Z.abcd1234efgh]") == "[***]"
    reg.register('pä"ss-42')
    # JSON written without \\u escapes
    assert reg.scrub('{"password": "pä\\"ss-42"}') == '{"password": "***"}'


@pytest.mark.parametrize(
    "text",
    [
        '<img src="https://private-user-images.example.com/1.png?jwt=x&signature=0a1b2c3d4e">',
        'Authorization: token1234abcd" and more',
    ],
)
def test_a_credential_before_a_quote_in_json_is_masked_without_breaking_the_json(text: str) -> None:
    """Found by scripts/chat_audit.py on vllm-project/llm-compressor: a PR body's image URL
    (``…&signature=<hex>\\"``) in a stored report lost the backslash of its JSON escape to the mask, and the
    store could no longer read that day (every later command stopped on it)."""
    stored = scrub(json.dumps({"body": text}, ensure_ascii=False))
    assert "***" in stored
    assert "0a1b2c3d4e" not in stored and "1234abcd" not in stored
    assert json.loads(stored)["body"].count('"') == text.count('"')


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("ghp_" + "a" * 20, True),  # a well-known shape, lower case only: by its shape
        ("ghp_" + "a" * 19, False),  # one short of the shape, and one kind of letter
        ("sk-" + "abcdefghijklmnop", True),
        ("xoxb-" + "abcdefghij", True),
        ("AbCdEfGh12345678", True),  # 16 characters mixing upper, lower and digits
        ("AbCdEfGh1234567", False),  # 15
        ("abcdefgh12345678", False),  # no upper case
        ("ABCDEFGH12345678", False),  # no lower case
        ("AbCdEfGhIjKlMnOp", False),  # no digit
        ("Ab1", False),  # all three kinds, too short
        ("GITHUB_TOKEN", False),
        ("slack_hook_2", False),
        (
            "Webhook_Url_For_Team_2",
            True,
        ),  # a name that mixes all three is taken for a token: refused, kept secret
    ],
)
def test_a_token_is_told_from_a_variables_name(value: str, token: bool) -> None:
    assert looks_like_token(value) is token


# Each needle of the scrub's pattern table alone in its text (a needle missing from the table skips its
# pattern for such a text), and each well-known token shape.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdefghij", "Authorization: Bearer ***"),  # no digit: the header's pattern
        ("Api-Key: abcdefgh12", "Api-Key: ***"),
        ("X-Auth-Token: abcdefgh12", "X-Auth-Token: ***"),
        ("Private-Token: abcdefgh12", "Private-Token: ***"),
        ("Cookie: abcdefgh12", "Cookie: ***"),
        ("sent Bearer abcd1234efgh", "sent Bearer ***"),
        ("sent Basic dXNlcjE6cGFzczE=", "sent Basic ***"),
        ("sent token abcd1234efgh5678ijkl", "sent token ***"),
        ("at https://user:pw@host/x", "at https://***@host/x"),
        ("GET /x?sig=abc&y=1", "GET /x?sig=***&y=1"),
        ("AUTH PLAIN dXNlcgBwYXNz", "AUTH PLAIN ***"),
        *[(f"a {prefix}{'A1b2' * 6} b", "a *** b") for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")],
        ("a sk-" + "Ab1-" * 4 + " b", "a *** b"),
        ("a xoxb-" + "123-abc-de" + " b", "a *** b"),
        ("a glpat-" + "Ab1_" * 4 + " b", "a *** b"),
    ],
)  # fmt: skip
def test_each_needle_and_token_shape_of_the_scrub_table(text: str, expected: str) -> None:
    assert SecretRegistry().scrub(text) == expected


def test_strong_starts_at_eight_characters() -> None:
    assert not is_weak("k9#Lq2!v") and is_weak("k9#Lq2!")
    reg = SecretRegistry()
    reg.register("k9#Lq2!v")
    assert reg.scrub("x k9#Lq2!v y") == "x *** y"
