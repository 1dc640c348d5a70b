"""Broken quoting in delimited text: an error naming the line the quote opened on, or with
bad_quotes=reject a reject per broken record; never a record that swallows the rest of the file."""

from __future__ import annotations

import csv

import pytest
import spine
from spine_source_file._source import open_file

from .file_helpers import read, write

WHAT_TO_DO = (
    'a quote inside a quoted field is written twice (""); fix the file, read the fields as they are '
    "with -o quote=none, or reject such records with -o bad_quotes=reject"
)


def test_an_unclosed_quote_is_an_error_naming_its_line_not_one_long_field(tmp_path):
    path = write(tmp_path / "open.csv", 'id,name\n1,"unclosed\n2,b\n3,c\n')
    with pytest.raises(spine.SourceError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: line 2: the quote opened on line 2 is never closed: the record takes the rest of the "
        f"file, 3 lines (2-4); {WHAT_TO_DO}"
    )
    assert caught.value.context == {"file": str(path), "line": 2}


def test_the_line_named_is_the_one_the_last_quote_opened_on(tmp_path):
    # The record starts on line 2; its first quoted field spans lines 2-3 and is closed,
    # the next one opens on line 3 and never closes.
    path = write(tmp_path / "open.csv", 'id,a,b\n1,"fine\nstill fine","never\n2,x,y\n3,x,y\n')
    with pytest.raises(
        spine.SourceError,
        match=r"open.csv: line 3: the quote opened on line 3 is never closed: .* 4 lines \(2-5\)",
    ):
        read(path)


def test_doubled_quotes_do_not_close_a_field(tmp_path):
    path = write(tmp_path / "open.csv", 'id,a\n1,"say ""hi"" and\n""bye""\n2,x\n')
    with pytest.raises(spine.SourceError, match=r"line 2: the quote opened on line 2 is never closed"):
        read(path)


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ('id,name,n\n1,"ab"c,2\n3,x,y\n', "'c,2'"),
        ('id,name,n\n1,"ab" ,2\n3,x,y\n', "' ,2'"),
        ('id,name,n\n1,x,"ab"\'\n3,x,y\n', '"\'"'),
    ],
)
def test_text_after_a_closing_quote_is_an_error_not_glued_on(tmp_path, text, after):
    path = write(tmp_path / "glued.csv", text)
    with pytest.raises(spine.SourceError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: line 2: the quoted field opened on line 2 goes on after its closing quote: {after}; "
        f"{WHAT_TO_DO}"
    )


def test_text_after_a_quote_closed_on_a_later_line_names_both_lines(tmp_path):
    path = write(tmp_path / "glued.csv", 'id,note\n1,"two\nlines"x\n')
    with pytest.raises(spine.SourceError, match=r"line 2: .* after its closing quote \(on line 3\): 'x'"):
        read(path)


def test_rejected_an_unclosed_quote_takes_the_rest_of_the_file_and_says_how_much(tmp_path):
    path = write(tmp_path / "open.csv", 'id,name\n0,ok\n1,"unclosed\n2,b\n3,c\n')
    result = read(path, bad_quotes="reject")
    assert result.rows == [(0, "ok")]
    assert result.rejects == [
        spine.Reject(
            str(path),
            3,
            '1,"unclosed\n2,b\n3,c',
            "the quote opened on line 3 is never closed: the record takes the rest of the file, "
            "3 lines (3-5)",
        )
    ]


def test_rejected_glued_text_and_reading_goes_on(tmp_path):
    path = write(tmp_path / "glued.csv", 'id,name,n\n1,"ab"c,2\n2,"x\ny"z,3\n3,ok,4\n4,"fine",5\n')
    result = read(path, bad_quotes="reject")
    assert result.rows == [(3, "ok", 4), (4, "fine", 5)]
    assert result.positions == [5, 6]
    assert [(reject.position, reject.raw, reject.reason) for reject in result.rejects] == [
        (2, '1,"ab"c,2', "the quoted field opened on line 2 goes on after its closing quote: 'c,2'"),
        (
            3,
            '2,"x\ny"z,3',
            "the quoted field opened on line 3 goes on after its closing quote (on line 4): 'z,3'",
        ),
    ]


def test_rejects_far_into_a_file_keep_their_lines_and_batches(tmp_path):
    lines = [f'{n},"name {n}"\n' for n in range(1, 2001)]
    for number in (3, 700, 1999):
        lines[number - 1] = f'{number},"name {number}"!\n'
    result = read(
        write(tmp_path / "many.csv", "id,name\n" + "".join(lines)), bad_quotes="reject", batch_size=300
    )
    assert [reject.position for reject in result.rejects] == [4, 701, 2000]
    assert len(result.rows) == 1997
    assert result.positions == [n + 1 for n in range(1, 2001) if n not in (3, 700, 1999)]
    for batch in result.batches:  # each reject travels with the stretch of rows it sits in
        if batch.rows:
            assert all(reject.position <= batch.positions[-1] for reject in batch.rejects)


def test_a_broken_header_is_an_error_whatever_bad_quotes_says(tmp_path):
    path = write(tmp_path / "h.csv", 'id,"name\n1,x\n')
    with pytest.raises(spine.SourceError, match=r"h.csv: line 1: the quote opened on line 1 is never closed"):
        read(path)
    with pytest.raises(
        spine.SourceError, match=r"h.csv: line 1: the header cannot be read: the quote opened"
    ):
        read(path, bad_quotes="reject")


def test_without_a_header_a_broken_first_record_is_rejected_like_any(tmp_path):
    path = write(tmp_path / "n.csv", '"a"b,1\n2,3\n')
    result = read(path, header="false", bad_quotes="reject")
    assert result.rows == [(2, 3)]
    assert [(reject.position, reject.raw) for reject in result.rejects] == [(1, '"a"b,1')]
    only_broken = write(tmp_path / "b.csv", '"a"b,1\n')
    with pytest.raises(spine.SourceError, match=r"b.csv: line 1: no record can be read: the quoted field"):
        read(only_broken, header="false", bad_quotes="reject")


def test_quote_none_reads_the_same_text_as_it_is(tmp_path):
    path = write(tmp_path / "q.csv", 'id,name,n\n1,"ab"c,2\n2,"unclosed,3\n')
    assert read(path, quote="none").rows == [(1, '"ab"c', 2), (2, '"unclosed', 3)]


def test_a_tsv_value_starting_with_a_quote_is_not_silently_unquoted(tmp_path):
    path = write(tmp_path / "t.tsv", 'name\tn\n"Big" Co\t1\n')
    with pytest.raises(
        spine.SourceError, match=r"t.tsv: line 2: .* after its closing quote: ' Co\\t1'.*quote=none"
    ):
        read(path)
    assert read(path, quote="none").rows == [('"Big" Co', 1)]


def test_legitimate_quoting_reads_as_before_in_both_modes(tmp_path):
    text = 'id,name,note\n1,"Smith, John","say ""hi"""\n2,"two\nlines","three\r\nlines\n"\n3,plain,""\n'
    path = write(tmp_path / "q.csv", text)
    for bad_quotes in ("fail", "reject"):
        result = read(path, bad_quotes=bad_quotes)
        assert result.rows == [
            (1, "Smith, John", 'say "hi"'),
            (2, "two\nlines", "three\r\nlines\n"),
            (3, "plain", ""),
        ]
        assert (result.positions, result.rejects) == ([2, 3, 7], [])


@pytest.mark.parametrize(
    ("name", "text", "options", "message"),
    [
        (
            "d.csv",
            "a\n1\n",
            {"bad_quotes": "skip"},
            "option 'bad_quotes': expected one of fail, reject, got 'skip'",
        ),
        (
            "d.psv",
            "a\n1\n",
            {"bad_quotes": "reject"},
            "option 'bad_quotes' does not apply: this file is read unquoted",
        ),
        ("d.csv", "a\n1\n", {"bad_quotes": "reject", "quote": "none"}, "'bad_quotes' does not apply"),
        ("d.jsonl", '{"a": 1}\n', {"bad_quotes": "reject"}, "'bad_quotes' does not apply to jsonl files"),
    ],
)
def test_bad_quotes_is_refused_where_it_would_do_nothing(tmp_path, name, text, options, message):
    with pytest.raises(spine.ConfigError, match=message):
        open_file(str(write(tmp_path / name, text)), **options)


def test_bad_quotes_applies_to_a_pipe_file_read_quoted(tmp_path):
    path = write(tmp_path / "q.psv", 'a|b\n1|"x"y\n2|z\n')
    assert read(path, quote='"', bad_quotes="reject").rows == [(2, "z")]


def test_an_unquoted_field_past_the_csv_limit_is_not_blamed_on_a_closed_quote(tmp_path):
    long = "x" * (csv.field_size_limit() + 10)
    path = write(tmp_path / "long.csv", f'id,a,b\n1,"fine\nstill fine",{long}\n')
    with pytest.raises(spine.SourceError) as caught:
        read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 2: field larger than field limit")
    assert "raise field_size_limit" in message and "quote opened" not in message
