"""CSV, TSV, pipe-delimited and other delimited text: formats, header, columns, types, positions, rejects."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal

import pytest
import spine
from spine_source_file._source import open_file

from .file_helpers import FINRA_HEADER, finra_line, read, types, write


def test_csv_header_names_columns_and_types_are_inferred(tmp_path):
    path = write(
        tmp_path / "trades.csv",
        "Trade ID,Symbol,Price,Day,Active,Seen At,Ratio\n"
        "1,AAPL,10.50,2026-11-16,true,2026-11-16T09:30:00Z,0.5\n"
        "2,BRK.B,11,2026-11-17,false,2026-11-17T10:00:00+01:00,1e-3\n",
    )
    result = read(path)
    assert types(result.schema) == {
        "trade_id": "integer",
        "symbol": "string",
        "price": "decimal",
        "day": "date",
        "active": "boolean",
        "seen_at": "timestamp",
        "ratio": "decimal",
    }
    assert result.rows == [
        (
            1,
            "AAPL",
            Decimal("10.50"),
            date(2026, 11, 16),
            True,
            datetime(2026, 11, 16, 9, 30),
            Decimal("0.5"),
        ),
        (2, "BRK.B", Decimal("11"), date(2026, 11, 17), False, datetime(2026, 11, 17, 9, 0), Decimal("1e-3")),
    ]
    assert result.positions == [2, 3]
    assert result.raw == [
        "1,AAPL,10.50,2026-11-16,true,2026-11-16T09:30:00Z,0.5",
        "2,BRK.B,11,2026-11-17,false,2026-11-17T10:00:00+01:00,1e-3",
    ]
    assert result.rejects == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("data.csv", "a,b\n1,x y\n"),
        ("data.tsv", "a\tb\n1\tx y\n"),
        ("data.tab", "a\tb\n1\tx y\n"),
        ("data.psv", "a|b\n1|x y\n"),
        ("DATA.PSV", "a|b\n1|x y\n"),
    ],
)
def test_the_extension_chooses_the_delimiter(tmp_path, name, text):
    assert read(write(tmp_path / name, text)).rows == [(1, "x y")]


def test_the_format_option_wins_over_the_extension(tmp_path):
    path = write(tmp_path / "data.csv", "a|b\n1|x,y\n")
    assert read(path).schema.names == ["a_b"]  # read as CSV: one column "a|b"
    assert read(path, format="psv").rows == [(1, "x,y")]


@pytest.mark.parametrize(("delimiter", "written"), [(";", ";"), ("tab", "\t"), ("\\t", "\t"), ("^", "^")])
def test_any_single_character_delimiter(tmp_path, delimiter, written):
    path = write(tmp_path / "data.txt", f"a{written}b\n1{written}x,y\n")
    assert read(path, delimiter=delimiter).rows == [(1, "x,y")]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("id;name;amount\n1;Smith, John;1,5\n2;Doe, Jane;2,5\n", ";"),
        ("id\tname\n1\tx, y\n2\tz\n", "\t"),
        (FINRA_HEADER + "\n" + finra_line(1) + "\n" + finra_line(2) + "\n", "|"),
        ('id,name\n1,"Smith, John"\n2,"Doe; Jane"\n', ","),
    ],
)
def test_the_delimiter_is_sniffed_when_nothing_says(tmp_path, text, delimiter):
    with open_file(str(write(tmp_path / "data.txt", text))) as source:
        assert source.delimiter == delimiter  # type: ignore[attr-defined]
        assert len(source.schema().fields) == len(text.splitlines()[0].split(delimiter))
        assert not [reject for batch in source.batches() for reject in batch.rejects]


def test_a_delimiter_that_cannot_be_sniffed_is_a_source_error(tmp_path):
    path = write(tmp_path / "words.txt", "alpha\nbeta\ngamma\n")
    with pytest.raises(spine.SourceError, match=r"words\.txt: cannot tell which delimiter.*delimiter option"):
        open_file(str(path))
    assert read(path, delimiter=",").rows == [("beta",), ("gamma",)]


def test_without_a_header_columns_are_numbered_or_given(tmp_path):
    path = write(tmp_path / "data.csv", "1,x\n2,y\n")
    numbered = read(path, header="false")
    assert numbered.schema.names == ["column_1", "column_2"]
    assert numbered.rows == [(1, "x"), (2, "y")]
    assert numbered.positions == [1, 2]
    named = read(path, header=False, columns="id:integer,label")
    assert types(named.schema) == {"id": "integer", "label": "string"}
    assert named.rows == [(1, "x"), (2, "y")]


def test_declared_columns_must_match_the_header(tmp_path):
    path = write(tmp_path / "finra.psv", FINRA_HEADER + "\n" + finra_line(1) + "\n")
    declared = (
        "tier_description,issue_symbol_identifier,issue_name,market_participant_name,mpid,"
        "total_weekly_share_quantity:decimal,total_weekly_trade_count:integer,last_update_date:date"
    )
    result = read(path, columns=declared)
    assert result.rows[0][4:] == ("OTCN", Decimal("10.25"), 1, date(2026, 11, 16))
    assert read(path, columns=FINRA_HEADER.replace("|", ",")).schema.names[:2] == [
        "tierDescription",
        "issueSymbolIdentifier",
    ]


def test_a_header_that_does_not_match_the_columns_shows_expected_and_found(tmp_path):
    path = write(tmp_path / "week.psv", "symbol|shares|extra\nAAPL|1|x\n")
    with pytest.raises(spine.SourceError) as caught:
        read(path, columns="symbol,volume")
    assert str(caught.value) == (
        f"{path}: line 1: the header does not match the declared columns; "
        "expected 2: symbol, volume; found 3: symbol, shares, extra"
    )
    assert caught.value.context == {"file": str(path), "line": 1}


def test_types_override_inference_and_accept_header_text(tmp_path):
    path = write(tmp_path / "d.csv", "Symbol,totalWeeklyTradeCount,zip\nA,1,02134\nB,2,10001\n")
    result = read(path, types="totalWeeklyTradeCount:decimal,zip:string")
    assert types(result.schema) == {
        "symbol": "string",
        "total_weekly_trade_count": "decimal",
        "zip": "string",
    }
    assert result.rows == [("A", Decimal(1), "02134"), ("B", Decimal(2), "10001")]
    assert types(read(path, types={"zip": "integer"}).schema)["zip"] == "integer"


def test_types_naming_no_column_is_a_config_error(tmp_path):
    path = write(tmp_path / "d.csv", "a,b\n1,2\n")
    with pytest.raises(spine.ConfigError, match="'types': no column named c; the columns are a, b"):
        read(path, types="c:integer")


def test_declared_types_keep_the_other_field_options(tmp_path):
    path = write(tmp_path / "d.csv", "code,amount\nabc,1.5\nabcdef,2\n")
    result = read(path, columns=[spine.Field("code", length=4), "amount"], types="amount:decimal")
    assert result.rows == [("abc", Decimal("1.5"))]
    assert [(reject.position, reject.reason) for reject in result.rejects] == [
        (3, "column code: longer than 4 characters")
    ]


def test_types_are_inferred_from_the_first_infer_rows_rows(tmp_path):
    path = write(tmp_path / "d.csv", "n\n1\n2\nthree\n4\n")
    assert types(read(path).schema) == {"n": "string"}
    narrow = read(path, infer_rows="2")
    assert types(narrow.schema) == {"n": "integer"}
    assert narrow.rows == [(1,), (2,), (4,)]
    assert [(r.position, r.raw, r.reason) for r in narrow.rejects] == [
        (4, "three", "column n: expected an integer, got 'three'")
    ]
    assert types(read(path, infer_rows=0).schema) == {"n": "string"}


def test_inference_reads_on_past_the_sample(tmp_path):
    lines = "".join(f"{n},{n}.5\n" for n in range(5000))
    result = read(write(tmp_path / "d.csv", "a,b\n" + lines), infer_rows=10, batch_size=700)
    assert types(result.schema) == {"a": "integer", "b": "decimal"}
    assert len(result.rows) == 5000
    assert result.rows[-1] == (4999, Decimal("4999.5"))
    assert result.positions == list(range(2, 5002))


def test_quoted_fields_keep_delimiters_quotes_and_line_breaks(tmp_path):
    path = write(
        tmp_path / "q.csv",
        'id,name,note\n1,"Smith, John","say ""hi"""\n2,"two\nlines","three\r\nlines\n"\n3,plain,x\n',
    )
    result = read(path)
    assert result.rows == [
        (1, "Smith, John", 'say "hi"'),
        (2, "two\nlines", "three\r\nlines\n"),
        (3, "plain", "x"),
    ]
    assert result.positions == [2, 3, 7]
    assert result.raw[1] == '2,"two\nlines","three\r\nlines\n"'


def test_positions_stay_physical_across_many_multi_line_records(tmp_path):
    lines, expected, line = ["id,text\n"], [], 2
    for number in range(6000):  # more than one parsing block and one read
        if number % 3 == 0:
            text = f'{number},"first {number}\nsecond\nthird ' + "x" * 80 + '"\n'
        else:
            text = f"{number},single {number}\n"
        lines.append(text)
        expected.append((line, text.rstrip("\n")))
        line += text.count("\n")
    result = read(write(tmp_path / "m.csv", "".join(lines)), batch_size=1000)
    assert list(zip(result.positions, result.raw, strict=True)) == expected
    assert result.rows[3000] == (3000, "first 3000\nsecond\nthird " + "x" * 80)


def test_ragged_rows_become_rejects_with_their_line_and_reading_goes_on(tmp_path):
    lines = [finra_line(n) for n in range(1, 8)]
    lines[2] = lines[2].rsplit("|", 1)[0]  # line 4: one field short
    lines[5] = lines[5] + "|extra"  # line 7: one too many
    result = read(write(tmp_path / "w.psv", FINRA_HEADER + "\n" + "\n".join(lines) + "\n"))
    assert [(r.origin, r.position, r.raw, r.reason) for r in result.rejects] == [
        (str(tmp_path / "w.psv"), 4, lines[2], "expected 8 fields, found 7"),
        (str(tmp_path / "w.psv"), 7, lines[5], "expected 8 fields, found 9"),
    ]
    assert result.positions == [2, 3, 5, 6, 8]
    # The short and the long line have as many fields between them as two good ones:
    # the rows around them must still be the right lines, field for field.
    assert [row[1] for row in result.rows] == ["S000001", "S000002", "S000004", "S000005", "S000007"]
    assert [row[6] for row in result.rows] == [1, 2, 4, 5, 7]


def test_a_value_that_fails_conversion_is_rejected_with_the_column(tmp_path):
    path = write(tmp_path / "v.csv", "id,day\n1,2026-11-16\n2,someday\n3,2026-11-18\n")
    result = read(path, types="id:integer,day:date")
    assert result.rows == [(1, date(2026, 11, 16)), (3, date(2026, 11, 18))]
    assert result.rejects == [
        spine.Reject(str(path), 3, "2,someday", "column day: expected a date (YYYY-MM-DD), got 'someday'")
    ]


def test_blank_lines_crlf_and_a_missing_final_newline(tmp_path):
    path = write(tmp_path / "c.csv", "a,b\r\n\r\n1,x\r\n\r\n2,y")
    result = read(path)
    assert result.rows == [(1, "x"), (2, "y")]
    assert result.positions == [3, 5]
    assert result.raw == ["1,x", "2,y"]
    unquoted = read(write(tmp_path / "p.psv", "a|b\r\n\r\n1|x\r\n\r\n2|y"))
    assert (unquoted.positions, unquoted.raw, unquoted.rejects) == ([3, 5], ["1|x", "2|y"], [])


def test_a_header_alone_gives_string_columns_and_no_rows(tmp_path):
    result = read(write(tmp_path / "h.csv", "a,b\n"))
    assert types(result.schema) == {"a": "string", "b": "string"}
    assert result.rows == [] and result.batches == []


def test_header_names_are_normalised_and_made_unique(tmp_path):
    path = write(tmp_path / "h.csv", 'Total Shares,totalShares,,"",x"; DROP TABLE t; --\n1,2,3,4,5\n')
    assert read(path).schema.names == [
        "total_shares",
        "total_shares_2",
        "column",
        "column_2",
        "x_drop_table_t",
    ]


def test_pipe_files_are_unquoted_by_default(tmp_path):
    path = write(tmp_path / "q.psv", 'sym|name\nA|"Big" Co\nB|The "Best", Inc\nC|"\n')
    result = read(path)
    assert result.rows == [("A", '"Big" Co'), ("B", 'The "Best", Inc'), ("C", '"')]
    quoted = read(write(tmp_path / "q2.psv", 'sym|name\nA|"x|y"\n'), quote='"')
    assert quoted.rows == [("A", "x|y")]


def test_quote_none_keeps_quotes_in_csv(tmp_path):
    path = write(tmp_path / "q.csv", 'a,b\n"x",yz\n')
    assert read(path, quote="none").rows == [('"x"', "yz")]
    assert read(path, quote="'").rows == [('"x"', "yz")]


@pytest.mark.parametrize("quote", ["none", '"'])
def test_a_field_longer_than_field_size_limit_is_a_source_error(tmp_path, quote):
    lines = [finra_line(n) for n in range(1, 4)] + ["NMS Tier 1|LONG|" + "x" * 500 + "|a|b|1|1|2026-11-16"]
    path = write(tmp_path / "wide.psv", FINRA_HEADER + "\n" + "\n".join(lines) + "\n")
    with pytest.raises(spine.SourceError, match=r"wide.psv: line 5: a field of 500 characters .* \(100\)"):
        read(path, field_size_limit="100", quote=quote)
    assert len(read(path, field_size_limit=500, quote=quote).rows) == 4


def test_an_unclosed_quote_runs_into_the_field_size_limit(tmp_path):
    # Longer than the csv module's limit (process-wide: other tests may have raised it).
    rows = csv.field_size_limit() // 10 + 100
    body = "".join(f"{n},row {n}\n" for n in range(1, rows))
    path = write(tmp_path / "open.csv", 'id,name\n0,x\n1,"never closed\n' + body)
    expected = r"open.csv: line 3: the quote opened on line 3 is not closed within \d+ lines \(field larger"
    for bad_quotes in ("fail", "reject"):  # reading on from somewhere in that field makes no sense
        with pytest.raises(spine.SourceError, match=expected):
            read(path, bad_quotes=bad_quotes)


def test_field_size_limit_above_the_csv_module_default(tmp_path):
    big = "y" * 200_000
    path = write(tmp_path / "big.csv", f'id,text\n1,"{big}"\n2,small\n')
    assert read(path, field_size_limit=300_000).rows == [(1, big), (2, "small")]
    with pytest.raises(spine.SourceError, match="line 2"):
        read(path)


def test_encodings_latin1_and_a_utf8_byte_order_mark(tmp_path):
    latin = write(tmp_path / "l.csv", "name,city\nJosé,Zürich\n", encoding="latin-1")
    assert read(latin, encoding="latin-1").rows == [("José", "Zürich")]
    bom = write(tmp_path / "b.csv", "\ufeffid,name\n1,é\n")
    result = read(bom)
    assert result.schema.names == ["id", "name"]
    assert result.rows == [(1, "é")]
    assert read(bom, encoding="UTF8").schema.names == ["id", "name"]


def test_bytes_that_do_not_decode_name_the_line_and_the_encoding_option(tmp_path):
    path = write(tmp_path / "l.psv", "a|b\n1|plain\n2|Caf\xe9\n3|x\n", encoding="latin-1")
    with pytest.raises(spine.SourceError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: line 3: cannot decode 0xe9 as utf-8 (invalid continuation byte); set the encoding "
        "option to the file's encoding, for example -o encoding=latin-1"
    )
    assert caught.value.context == {"file": str(path), "line": 3}


def test_a_decoding_error_far_into_the_file_names_its_line(tmp_path):
    body = "".join(f"{n}|row {n}\n" for n in range(1, 50_000))
    path = tmp_path / "far.psv"
    path.write_bytes(("a|b\n" + body).encode() + b"50000|Caf\xe9\n")
    with pytest.raises(spine.SourceError, match=r"far\.psv: line 50001: cannot decode 0xe9"):
        read(path)


def test_gzip_is_recognised_by_its_magic_bytes(tmp_path):
    text = FINRA_HEADER + "\n" + finra_line(1) + "\n" + finra_line(2) + "\n"
    for name in ("week.psv.gz", "week.psv"):  # the second is gzip without saying so
        path = write(tmp_path / name, text, compress=True)
        result = read(path)
        assert [row[1] for row in result.rows] == ["S000001", "S000002"]
        assert result.positions == [2, 3]
        with open_file(str(path)) as source:
            assert "gzip" in source.describe()


def test_a_truncated_gzip_file_is_a_source_error(tmp_path):
    text = FINRA_HEADER + "\n" + "\n".join(finra_line(n) for n in range(3000)) + "\n"
    path = write(tmp_path / "cut.psv.gz", text, compress=True)
    path.write_bytes(path.read_bytes()[:-2000])
    with pytest.raises(spine.SourceError, match=r"cut.psv.gz: the gzip data is truncated after line \d+"):
        read(path)


def test_a_truncated_gzip_file_whose_format_must_be_sniffed(tmp_path):
    path = write(tmp_path / "cut.dat", "a|b\n" + "1|x\n" * 5000, compress=True)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(
        spine.SourceError, match=r"cut\.dat: the gzip data is truncated before the first line"
    ):
        open_file(str(path))


def test_corrupt_gzip_data_is_a_source_error(tmp_path):
    path = write(tmp_path / "bad.csv.gz", "a,b\n" + "1,2\n" * 1000, compress=True)
    data = bytearray(path.read_bytes())
    data[30:60] = b"\xff" * 30
    path.write_bytes(bytes(data))
    with pytest.raises(spine.SourceError, match=r"bad\.csv\.gz: cannot read before the first line: Error -3"):
        read(path)


def test_missing_empty_and_blank_files(tmp_path):
    with pytest.raises(spine.SourceError, match=r"nothing\.csv: no such file"):
        open_file(str(tmp_path / "nothing.csv"))
    with pytest.raises(spine.SourceError, match="is a directory"):
        open_file(str(tmp_path))
    with pytest.raises(spine.SourceError, match=r"empty\.csv: the file is empty"):
        open_file(str(write(tmp_path / "empty.csv", "")))
    with pytest.raises(spine.SourceError, match=r"blank\.csv: no records, only blank lines"):
        read(write(tmp_path / "blank.csv", "\n\r\n\n"))
    with pytest.raises(spine.SourceError, match=r"zero\.csv\.gz: the file is empty"):
        read(write(tmp_path / "zero.csv.gz", "", compress=True))


def test_file_urls_and_other_schemes(tmp_path):
    path = write(tmp_path / "my data.csv", "a\n1\n")
    assert read(path.as_uri()).rows == [(1,)]
    assert read(f"file://localhost{path}").rows == [(1,)]
    with pytest.raises(spine.ConfigError, match="must not name a host"):
        open_file(f"file://elsewhere{path}")
    with pytest.raises(spine.ConfigError, match="not https://"):
        open_file("https://example.com/data.csv")


def test_batches_hold_at_most_batch_size_rows_and_their_stretch_rejects(tmp_path):
    lines = [f"{n},x" if n != 5 else "5" for n in range(1, 11)]
    result = read(write(tmp_path / "b.csv", "n,s\n" + "\n".join(lines) + "\n"), batch_size=3)
    assert [len(batch.rows) for batch in result.batches] == [3, 3, 3]
    assert [[r.position for r in batch.rejects] for batch in result.batches] == [[], [6], []]
    assert all(len(batch.raw) == len(batch.rows) == len(batch.positions) for batch in result.batches)
    with open_file(str(tmp_path / "b.csv")) as source, pytest.raises(spine.ConfigError, match="batch size"):
        source.batches(0)


def test_schema_then_batches_and_batches_again(tmp_path):
    path = write(tmp_path / "s.csv", "a\n1\n2\n")
    with open_file(str(path)) as source:
        first = [batch.rows for batch in source.batches()]
        assert source.schema().names == ["a"]
        assert [batch.rows for batch in source.batches()] == first == [[(1,), (2,)]]


def test_describe_says_what_is_read(tmp_path):
    with open_file(str(write(tmp_path / "d.psv", "a|b\n1|2\n"))) as source:
        assert source.describe() == f"{tmp_path / 'd.psv'} (psv, delimiter '|', unquoted)"
    with open_file(str(write(tmp_path / "d.csv", "a,b\n1,2\n"))) as source:
        assert source.describe() == f"{tmp_path / 'd.csv'} (csv, delimiter ',', quote '\"')"
