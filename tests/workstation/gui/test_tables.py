"""The paged table's page starts, learnt in idle steps after a count: a row far into the
table is the same row whether its page is found by key (learnt), from the last start learnt,
or by counting from the nearer end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from tests.workstation.gui.bulk_case import make_bulk_case
from workstation.gui.screens.messages import messages_model
from workstation.gui.tables import INDEX_CHUNK, PAGE, PagedTableModel

pytestmark = pytest.mark.gui

MESSAGES = 3 * INDEX_CHUNK + 100  # three chunks of keys and part of a fourth
ROWS = (0, PAGE - 1, PAGE, 2 * INDEX_CHUNK + 5, MESSAGES // 2, MESSAGES - PAGE, MESSAGES - 1)


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Iterator[Case]:
    case = make_bulk_case(
        tmp_path_factory.mktemp("bulk") / "case", signer, messages=MESSAGES, items=5
    )
    yield case
    case.close()


def text_of(model: PagedTableModel, row: int) -> str:
    record = model.row(row)
    assert record is not None
    return str(record[5])


def test_rows_far_into_the_table_are_the_same_however_their_page_is_found(
    qapp: object, bulk: Case
) -> None:
    counted = messages_model(bulk, "Europe/London")  # nothing learnt yet: OFFSET from an end
    partly = messages_model(bulk, "Europe/London")
    partly._index_step()  # one chunk learnt: later pages are counted from its last start
    learnt = messages_model(bulk, "Europe/London")
    learnt.finish_index()
    assert len(learnt._segments[0].starts) == -(-MESSAGES // PAGE)
    assert len(partly._segments[0].starts) == INDEX_CHUNK // PAGE
    for row in ROWS:  # bulk_case writes message n as "… #n", in time order
        assert text_of(counted, row).endswith(f" #{row}")
        assert text_of(partly, row).endswith(f" #{row}")
        assert text_of(learnt, row).endswith(f" #{row}")


def test_a_refresh_forgets_what_was_learnt(qapp: object, bulk: Case) -> None:
    model = messages_model(bulk, "Europe/London")
    model.finish_index()
    model.refresh()
    assert model._segments[0].starts == []
    model.finish_index()
    assert text_of(model, MESSAGES - 1).endswith(f" #{MESSAGES - 1}")
