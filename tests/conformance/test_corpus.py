"""Every case of the corpus through every driver: the outcome must be the one the case states.

An expected ``Answer`` is compared field by field (usage only where the case gives it); an
expected ``Failure`` must be that ``LocalLLMError`` class (found in the exception or its
``__cause__`` chain, which is how the adapters surface it), with the stated fields and text,
classified by the stated row of the error table (or by status alone where none is stated).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from localllm.protocols.error_table import TABLES

from ..faults.drivers import localllm_error
from .case import Answer, Case, Failure, Listing, Shown
from .cases import ALL
from .drivers import DRIVERS
from .replay_server import ReplayServer


def _routes(case: Case) -> dict[str, Any]:
    return {case.path: case.reply, **case.routes}


def _check_failure(case: Case, expect: Failure, raised: BaseException | None) -> None:
    assert raised is not None, f"{case.id}: expected {expect.error.__name__}, got an answer"
    error = localllm_error(raised)
    assert error is not None, f"{case.id}: untyped {type(raised).__name__}: {raised}"
    assert isinstance(error, expect.error), (
        f"{case.id}: expected {expect.error.__name__}, got {type(error).__name__}: {error}")
    for name, value in expect.fields.items():
        assert getattr(error, name) == value, f"{case.id}: {name}={getattr(error, name)!r}"
    text = str(error).lower()
    for words in expect.says:
        assert words.lower() in text, f"{case.id}: {words!r} not in {error}"
    for words in expect.not_says:
        assert words.lower() not in text, f"{case.id}: {words!r} in {error}"
    if expect.partial is not None:
        assert error.partial is not None and error.partial.content == expect.partial
    assert error.rule == expect.rule, f"{case.id}: classified by row {error.rule!r}"


def _check_value(case: Case, got: Any) -> None:
    expect = case.expect
    if isinstance(expect, Answer) and expect.usage is None:
        got = dataclasses.replace(got, usage=None)
    if isinstance(expect, Listing):
        got = Listing(got.names, {k: got.context.get(k) for k in expect.context})
    if isinstance(expect, Shown) and expect.capabilities is None:
        got = dataclasses.replace(got, capabilities=None)
    if isinstance(expect, Shown) and expect.max_context is None:
        got = dataclasses.replace(got, max_context=None)
    assert got == expect, case.id


@pytest.mark.parametrize("driver", list(DRIVERS))
@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_case(replay: ReplayServer, case: Case, driver: str) -> None:
    replay.serve(_routes(case))
    raised: BaseException | None = None
    got: Any = None
    try:
        got = DRIVERS[driver](case, replay.url)
    except Exception as exc:  # the outcome under test
        raised = exc
    if isinstance(case.expect, Failure):
        _check_failure(case, case.expect, raised)
        return
    if raised is not None:
        raise raised
    _check_value(case, got)


def test_every_error_table_row_is_exercised() -> None:
    rows = {rule.id for table in TABLES.values() for rule in table}
    claimed = {c.expect.rule for c in ALL if isinstance(c.expect, Failure) and c.expect.rule}
    assert rows - claimed == set(), "rows no case exercises"
    assert claimed - rows == set(), "cases name rows the table does not have"
    for table in TABLES.values():
        ids = [rule.id for rule in table]
        assert len(ids) == len(set(ids))
        assert all(rule.evidence and rule.hint for rule in table)


def test_corpus_is_well_formed() -> None:
    ids = [c.id for c in ALL]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in ALL:
        assert case.evidence.strip(), f"{case.id} names no evidence"
        if case.call != "chat":
            assert not isinstance(case.expect, Answer), case.id
