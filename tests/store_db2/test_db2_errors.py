"""How driver errors are classified (no database needed)."""

from __future__ import annotations

import pytest
from spine import Redactor
from spine_store_db2._errors import connection_lost, load_error


@pytest.mark.parametrize(
    ("message", "sqlstate", "sqlcode", "retryable", "lost"),
    [
        ('SQL0911N  Deadlock or timeout. Reason code "2".', "40001", -911, True, False),
        ("SQL0913N  Deadlock or timeout.", "57033", -913, True, False),
        ("SQL30081N  A communication error.", "08001", -30081, True, True),
        ("SQL30108N  A connection failed but has been re-established.", "08506", -30108, True, True),
        ("CLI0106E  Connection is closed.", "08003", -99999, True, True),
        ('SQL30082N  Security processing failed, reason "24".', "08001", -30082, False, True),
        ("SQL0803N  Duplicate key.", "23505", -803, False, False),
    ],
)
def test_sqlstate_sqlcode_and_whether_a_retry_may_help(message, sqlstate, sqlcode, retryable, lost):
    text = f"[IBM][CLI Driver][DB2/LINUXX8664] {message}  SQLSTATE={sqlstate} SQLCODE={sqlcode}"
    error = load_error(text, "MERGE failed", store="db2://u@h:50000/DB", redactor=Redactor())
    assert (error.context["sqlstate"], error.context["sqlcode"]) == (sqlstate, sqlcode)
    assert error.retryable is retryable
    assert connection_lost(error) is lost
    assert str(error) == f"MERGE failed (db2://u@h:50000/DB): {' '.join(text.split())}"


def test_an_error_of_ibm_db_itself_has_no_sqlstate_and_is_not_retryable():
    text = "Error 1: Value parameter tuple 2 has types that are not homogeneous with previous tuple"
    error = load_error(text, "INSERT failed", store="db2://u@h:50000/DB", redactor=Redactor())
    assert (error.context["sqlstate"], error.context["sqlcode"], error.retryable) == (None, None, False)


def test_the_reason_is_one_line_without_the_password():
    text = (
        "SQL30082N  Bad login\n for UID=ada;PWD=hunter2-x; and hunter2-x again  SQLSTATE=08001 SQLCODE=-30082"
    )
    error = load_error(text, "CONNECT failed", store="db2://ada@h:50000/DB", redactor=Redactor(["hunter2-x"]))
    assert str(error) == (
        "CONNECT failed (db2://ada@h:50000/DB): SQL30082N Bad login for UID=ada;PWD=***; and *** again "
        "SQLSTATE=08001 SQLCODE=-30082"
    )


def test_an_empty_reason_says_so():
    error = load_error("", "COMMIT failed", store="db2://h:50000/DB", redactor=Redactor())
    assert str(error) == "COMMIT failed (db2://h:50000/DB): no reason given by the driver"
