"""Email extractors (.eml and mbox): case alpha against truth.json, real samples, quirks, damage.

Real samples: tests/data/formats/email/ (mail-parser, Apache-2.0; MimeKit, MIT; see
SOURCES.md there). Synthetic messages are built in this file as bytes, next to the test
that needs them. The very-long-line test uses 20 MB, not 200 MB, to keep the suite fast.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import email_mime, registry
from extractors.base import Context, Source
from extractors.email_mime import EmailEmlExtractor, EmailMboxExtractor, received_chain, unflow
from extractors.records import (
    FLAGS,
    KINDS,
    Account,
    DerivedFile,
    ExtractWarning,
    Locator,
    Message,
    Record,
)
from tests.data.issue16_misc import spoofed_eml
from tests.extractors.helpers import extract_all, source_from_bytes, source_from_file

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = DATA / "formats" / "email"
CASE = DATA / "case_alpha"
MAILBOX = "hannah.price@example.org - All Mail.mbox"
EML, MBOX = EmailEmlExtractor(), EmailMboxExtractor()


def _of(records: list[Record], kind: type[Record]) -> list[Record]:
    return [r for r in records if isinstance(r, kind)]


def _messages(records: list[Record]) -> list[Message]:
    return [r for r in records if isinstance(r, Message)]


def _warnings(records: list[Record]) -> list[str]:
    return [r.message for r in records if isinstance(r, ExtractWarning)]


def _eml(data: bytes, ctx: Context | None = None) -> list[Record]:
    return extract_all(EML, source_from_bytes(data, "m.eml", mime="message/rfc822"), ctx)


def _mbox(data: bytes, ctx: Context | None = None) -> list[Record]:
    return extract_all(MBOX, source_from_bytes(data, "m.mbox", mime="application/mbox"), ctx)


def _mail(
    headers: str, body: str = "Hello.\n", *, date: str = "Mon, 4 Mar 2024 10:22:48 +0000"
) -> bytes:
    head = (
        f"From: Alice <alice@example.com>\nTo: bob@example.org\nDate: {date}\n"
        if date
        else ("From: Alice <alice@example.com>\nTo: bob@example.org\n")
    )
    return (head + headers + "\n" + body).encode("utf-8")


# --- case alpha ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alpha() -> tuple[Source, list[Record]]:
    source = source_from_file(CASE / "evidence" / MAILBOX)
    return source, extract_all(MBOX, source)


@pytest.fixture(scope="module")
def truth() -> dict[str, object]:
    return json.loads((CASE / "truth.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_case_alpha_every_message_as_truth_says(
    alpha: tuple[Source, list[Record]], truth: dict[str, list[dict[str, object]]]
) -> None:
    _, records = alpha
    expected = [m for m in truth["messages"] if m["file"] == MAILBOX and not m.get("member")]
    got = _messages(records)
    assert len(got) == len(expected) == 16
    accounts = {(a.key, a.display_name) for a in _of(records, Account)}  # type: ignore[attr-defined]
    for message, want in zip(got, expected, strict=True):
        assert message.sender_identifier == want["sender_identifier"]
        assert message.sent_at_utc == want["sent_at_utc"]
        assert message.kind == want["kind"]
        assert message.text == want["text"]
        assert list(message.attachments) == want.get("attachments", [])
        assert message.sent_at_raw == want["date_header_raw"]
        assert message.thread_title == want["subject"]
        assert (message.sender_key, want["display_name"]) in accounts
        assert (message.tz, message.tz_assumed, message.flags) == (None, False, ())


def test_case_alpha_counts_flags_and_attachment(
    alpha: tuple[Source, list[Record]], truth: dict[str, list[dict[str, object]]]
) -> None:
    _, records = alpha
    (count,) = [c for c in truth["counts"] if c["file"] == MAILBOX]
    kinds = Counter(m.kind for m in _messages(records))
    assert sum(kinds.values()) == count["messages"]
    assert dict(kinds) == count["by_kind"]
    assert [f for f in truth["flags"] if f.get("file") == MAILBOX] == []
    assert _warnings(records) == []
    (photo,) = _of(records, DerivedFile)
    assert isinstance(photo, DerivedFile)
    assert (photo.name, photo.mime, len(photo.data)) == (
        "IMG_20240306_203317.jpg",
        "image/jpeg",
        17994,
    )
    assert photo.data.startswith(b"\xff\xd8\xff") and photo.data.endswith(b"\xff\xd9")
    assert photo.locator.pointer == "/message[3]/part[2]"
    assert Counter(type(r).__name__ for r in records) == {
        "Message": 16,
        "Account": 5,
        "DerivedFile": 1,
    }


def test_case_alpha_one_full_record(alpha: tuple[Source, list[Record]]) -> None:
    source, records = alpha
    reply = _messages(records)[1]
    assert reply == Message(
        locator=Locator(source.sha256, source.path, line=26, offset=980),
        platform="email",
        thread_id="<fa4bb0d65f4363ae.1709547768@work.example.com>",
        thread_title="Re: Q1 deck",
        sender_key="email:hannah.price@example.org",
        sender_identifier="hannah.price@example.org",
        recipients=("daniel.mercado@work.example.com",),
        sent_at_utc="2024-03-04T11:08:37Z",
        sent_at_raw="Mon, 4 Mar 2024 11:08:37 +0000",
        tz=None,
        tz_assumed=False,
        flags=(),
        kind="text",
        text="Thanks Daniel, will do.\n\nHannah",
        raw_text=None,
        attachments=(),
        edited=False,
        reply_to="<fa4bb0d65f4363ae.1709547768@work.example.com>",
        message_id="<11b3a7ad6d387f47.1709550517@example.org>",
        direction=None,
        received_chain=(),
    )
    first = _messages(records)[0]
    assert first.received_chain == (
        "from mail.work.example.com (mail.work.example.com [203.0.113.15])\tby mx.example.org "
        "(Postfix) with ESMTPS id YjrLcbpPfnKpPg\tfor <hannah.price@example.org>; "
        "Mon, 04 Mar 2024 10:22:51 +0000 (UTC)",
        "from [10.12.0.143] (unknown [203.0.113.15])\tby mail.work.example.com (Postfix) with "
        "ESMTPSA id 465710CD0E\tfor <hannah.price@example.org>; "
        "Mon, 04 Mar 2024 10:22:48 +0000 (UTC)",
    )
    assert records[0] == Account(
        locator=Locator(source.sha256, source.path, line=1, offset=0),
        platform="email",
        handle="daniel.mercado@work.example.com",
        display_name="Daniel Mercado",
        email="daniel.mercado@work.example.com",
    )


def test_case_alpha_is_deterministic(alpha: tuple[Source, list[Record]]) -> None:
    source, records = alpha
    assert extract_all(MBOX, source) == records


# --- real samples -------------------------------------------------------------------------

SAMPLE_COUNTS = [
    # file, extractor, messages, warnings, derived files
    ("mailparser__mail_malformed_2.eml", "email_eml", 1, 0, 2),
    ("mailparser__mail_test_3.eml", "email_eml", 1, 0, 1),
    ("mailparser__mail_test_8.eml", "email_eml", 1, 0, 0),
    ("mimekit__japanese.eml", "email_eml", 1, 0, 0),
    ("mimekit__issue1189.mbox", "email_mbox", 4, 1, 1),
    ("mimekit__simple.mbox", "email_mbox", 3, 10, 0),
    ("mimekit__unmunged.mbox", "email_mbox", 2, 2, 0),
]


@pytest.mark.parametrize(("name", "extractor", "messages", "warnings", "derived"), SAMPLE_COUNTS)
def test_real_samples_parse_with_stated_counts(
    name: str, extractor: str, messages: int, warnings: int, derived: int
) -> None:
    source = source_from_file(SAMPLES / name)
    chosen = registry.matching(source)
    assert [e.name for e in chosen if e.name.startswith("email_")] == [extractor]
    records = extract_all(chosen[[e.name for e in chosen].index(extractor)], source)
    assert len(_messages(records)) == messages
    assert len(_warnings(records)) == warnings
    assert len(_of(records, DerivedFile)) == derived
    for message in _messages(records):
        assert message.kind in KINDS and set(message.flags) <= FLAGS


def test_unmunged_from_lines_stay_in_the_body() -> None:
    records = extract_all(MBOX, source_from_file(SAMPLES / "mimekit__unmunged.mbox"))
    first, second = _messages(records)
    assert first.text == (
        "This is my favourite James Bond movie:\n\n"
        "From Russia with love\n\nWhat does Thunderbird do?"
    )
    assert second.text.endswith(
        "From Russia with love\nYear: 1963\n\nWhat did Thunderbird do this time?"
    )
    assert (first.locator.line, first.locator.offset) == (1, 0)  # after the UTF-8 BOM
    assert (second.locator.line, second.locator.offset) == (13, 245)
    assert first.flags == ("time_unparsed",) and first.sent_at_utc is None
    assert _warnings(records) == ["no Date header; no time"] * 2


def test_takeout_separators_and_attachment_of_issue1189() -> None:
    records = extract_all(MBOX, source_from_file(SAMPLES / "mimekit__issue1189.mbox"))
    messages = _messages(records)
    assert [m.thread_title for m in messages] == [f"Message {i}" for i in range(1, 5)]
    assert [m.locator.line for m in messages] == [1, 22, 53, 74]
    assert messages[0].thread_id == "<f092d8d2-8781-469e-a1a6-c938087dc1f4@example.com>"
    assert messages[1].sent_at_utc == "2025-09-26T17:19:25Z"
    assert (messages[1].kind, messages[1].attachments) == ("media", ("Attachment.zip",))
    (attachment,) = _of(records, DerivedFile)
    assert isinstance(attachment, DerivedFile)
    assert attachment.data.startswith(b"7z\xbc\xaf\x27\x1c") and len(attachment.data) == 3750
    assert _warnings(records) == ["MIME defects in part 2: MissingHeaderBodySeparatorDefect"]


def test_bounce_is_a_system_message_with_its_reports_as_files() -> None:
    records = extract_all(EML, source_from_file(SAMPLES / "mailparser__mail_malformed_2.eml"))
    (bounce,) = _messages(records)
    assert bounce.kind == "system"
    assert bounce.attachments == ("DSN57BAC498.txt", "part-3.txt")
    assert bounce.sent_at_utc == "2016-08-22T09:23:36Z"
    assert (
        bounce.received_chain[0] == "(qmail 32129 invoked from network); 22 Aug 2016 09:22:13 -0000"
    )
    status, headers = _of(records, DerivedFile)
    assert isinstance(status, DerivedFile) and isinstance(headers, DerivedFile)
    assert b"Final-Recipient: rfc822; abh@netpar.com.br" in status.data
    assert headers.mime == "message/rfc822-headers" and b"Trabajo perfecto" in headers.data


def test_japanese_subject_and_body_decoded() -> None:
    records = extract_all(EML, source_from_file(SAMPLES / "mimekit__japanese.eml"))
    (message,) = _messages(records)
    assert message.thread_title == "日本語メールテスト (testing Japanese emails)"
    assert message.text.endswith("日本語が\n正常に\n送れているか\nテスト.")
    # one address, two display names: two Account records with one key
    assert [(a.key, a.display_name) for a in _of(records, Account)] == [  # type: ignore[attr-defined]
        ("email:x@x.com", "Atsushi Eno"),
        ("email:x@x.com", "Jeffrey Stedfast"),
    ]


def test_quoted_printable_multipart_and_inline_text_part() -> None:
    records = extract_all(EML, source_from_file(SAMPLES / "mailparser__mail_test_3.eml"))
    (message,) = _messages(records)
    assert message.text == (
        "I am sending you the bills of the goods we delivered to you in the attachment"
    )
    assert message.attachments == ("message.txt",)  # the firewall's inline notice
    assert message.sender_identifier == "Oneil.844@randtelekom.com.tr"
    assert message.sender_key == "email:oneil.844@randtelekom.com.tr"


# --- mbox variants ------------------------------------------------------------------------


def test_mboxrd_escapes_undone_with_the_text_as_found_kept() -> None:
    mbox = b"From a@example.com Mon Mar  4 10:22:50 2024\n" + _mail(
        "", ">From here\n>>From there\n"
    )
    (message,) = _messages(_mbox(mbox))
    assert message.text == "From here\n>From there"
    assert message.raw_text == ">From here\n>>From there"
    assert message.flags == ("text_fixed",)


def test_gmail_takeout_thread_labels_and_long_headers() -> None:
    long_header = "X-Long: " + "x" * 5000 + "\n"
    sent = _mail(f"X-GM-THRID: 1779\nX-Gmail-Labels: Sent,Opened\n{long_header}")
    received = _mail("X-GM-THRID: 1779\nX-Gmail-Labels: Inbox,Important\n", "Hi.\n")
    mbox = (
        b"From 1844347792267117879@xxx Thu Sep 25 10:00:00 +0000 2025\n" + sent + b"\n"
        b"From 1844347792267117880@xxx\n" + received
    )
    first, second = _messages(_mbox(mbox))
    assert (first.thread_id, first.direction) == ("X-GM-THRID:1779", "outgoing")
    assert (second.thread_id, second.direction) == ("X-GM-THRID:1779", "incoming")
    assert (second.locator.line, second.locator.offset) == (
        11,
        mbox.index(b"From 1844347792267117880@"),
    )


def test_netscape_separators_and_deleted_status() -> None:
    mbox = (
        b"From - Mon Mar  4 10:22:50 2024\nX-Mozilla-Status: 0009\n"
        + _mail("", "Gone.\n")
        + b"From - \nX-Mozilla-Status: 0001\n"
        + _mail("", "Kept.\n")
    )
    records = _mbox(mbox)
    assert [m.text for m in _messages(records)] == ["Gone.", "Kept."]
    assert _warnings(records) == [
        "X-Mozilla-Status 0009 marks this message deleted (expunged) in Thunderbird/Netscape; "
        "it is still in the file"
    ]


def test_separator_lookalike_without_header_is_kept_as_body() -> None:
    body = "Quoted:\n\nFrom bob@example.org Mon Mar  4 10:22:50 2024\nnot a header\n"
    records = _mbox(b"From a@example.com Mon Mar  4 10:22:50 2024\n" + _mail("", body))
    (message,) = _messages(records)
    assert "From bob@example.org Mon Mar  4 10:22:50 2024\nnot a header" in message.text
    assert _warnings(records) == [
        "line 8 looks like a From_ separator but no header follows; kept as body text"
    ]


# --- times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "utc", "tz", "flags"),
    [
        ("Mon, 22 Aug 2016 16:56:09 +0300", "2016-08-22T13:56:09Z", None, ()),
        ("22 Aug 2016 13:56:15 -0000", "2016-08-22T13:56:15Z", None, ()),
        ("Fri, 23 Aug 2002 2:32:53 -0400", "2002-08-23T06:32:53Z", None, ()),
        ("Tue, 7 Mar 2017 14:29:24 -0700 (PDT)", "2017-03-07T21:29:24Z", None, ()),
        ("Tue, 7 Mar 2017 14:29:24 EST", "2017-03-07T19:29:24Z", None, ()),
        ("Tue, 7 Mar 2017 14:29:24 GMT", "2017-03-07T14:29:24Z", None, ()),
        ("Mon, 15 Apr 2024 02:05:09", "2024-04-15T01:05:09Z", "Europe/London", ("tz_assumed",)),
        (
            "Sun, 31 Mar 2024 01:30:00 XYZ",
            "2024-03-31T01:30:00Z",
            "Europe/London",
            ("tz_assumed", "nonexistent_local_time"),
        ),
    ],
)
def test_date_forms(date: str, utc: str, tz: str | None, flags: tuple[str, ...]) -> None:
    records = _eml(_mail("", date=date))
    (message,) = _messages(records)
    assert (message.sent_at_utc, message.sent_at_raw) == (utc, date)
    assert (message.tz, message.tz_assumed, message.flags) == (tz, tz is not None, flags)
    if tz is None:
        assert _warnings(records) == []
    else:
        assert _warnings(records) == [
            f"Date {date!r} has no usable zone; read as local time in Europe/London"
        ]


def test_unreadable_date_falls_back_to_the_topmost_received() -> None:
    received = (
        "Received: from b by mx.example.org; Tue, 26 Mar 2024 23:51:41 +0000\n"
        "Received: from a by b; Tue, 26 Mar 2024 23:51:40 +0000\n"
    )
    records = _eml(_mail(received, date="yesterday-ish"))
    (message,) = _messages(records)
    assert message.sent_at_utc == "2024-03-26T23:51:41Z"
    assert message.sent_at_raw == "Tue, 26 Mar 2024 23:51:41 +0000"
    assert message.flags == ("time_unparsed",)
    assert _warnings(records) == [
        "Date 'yesterday-ish' unreadable; time taken from the first (topmost) Received header, "
        "the time the delivering server received it: 'Tue, 26 Mar 2024 23:51:41 +0000'"
    ]


def test_missing_date_without_received_has_no_time() -> None:
    records = _eml(_mail("Subject: s\n", date=""))
    (message,) = _messages(records)
    assert (message.sent_at_utc, message.sent_at_raw, message.flags) == (
        None,
        "",
        ("time_unparsed",),
    )
    assert _warnings(records) == ["no Date header; no time"]
    records = _eml(_mail("Date: \nSubject: s\n", date=""))
    assert _warnings(records) == ["empty Date header; no time"]


# --- bodies and attachments ---------------------------------------------------------------


def test_transfer_encodings_and_charsets() -> None:
    qp = _mail(
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n",
        "Caf=E9 at 5? Long line with a soft br=\neak.\n",
    )
    b64 = _mail(
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
        "SGVsbG8g8J+Zgg==\n",
    )
    assert _messages(_eml(qp))[0].text == "Café at 5? Long line with a soft break."
    assert _messages(_eml(b64))[0].text == "Hello 🙂"


def test_undeclared_and_wrong_charsets_are_warned() -> None:
    undeclared = _mail("Content-Transfer-Encoding: 8bit\n", "Caf\u00e9\n")
    records = _eml(undeclared)
    assert _messages(records)[0].text == "Café"
    assert _warnings(records) == ["body is not valid ASCII (no charset); decoded as UTF-8"]
    bad = _mail("Content-Type: text/plain; charset=utf-8\n", "").replace(b"\n\n", b"\n\nCaf\xe9\n")
    records = _eml(bad)
    (message,) = _messages(records)
    assert (message.text, message.raw_text, message.flags) == (
        "Caf\ufffd",
        "Caf\\xe9",
        ("text_fixed",),
    )
    assert _warnings(records) == ["body has bytes that are not valid utf-8; replaced with U+FFFD"]
    unknown = _mail("Content-Type: text/plain; charset=x-klingon\n", "Qapla'\n")
    records = _eml(unknown)
    assert _messages(records)[0].text == "Qapla'"
    assert _warnings(records) == ["unknown charset 'x-klingon'; decoded as UTF-8"]
    python_only = _mail("Content-Type: text/plain; charset=unicode_escape\n", "a\\u202eb\n")
    records = _eml(python_only)  # a Python codec, not a mail charset: no escape decoding
    assert _messages(records)[0].text == "a\\u202eb"
    assert _warnings(records) == ["unknown charset 'unicode_escape'; decoded as UTF-8"]


def test_unpaired_surrogates_never_reach_the_records() -> None:
    utf7 = _mail(
        "Subject: =?utf-7?q?+2D0-x?=\nContent-Type: text/plain; charset=utf-7\n", "a+2D0-b\n"
    )
    records = _eml(utf7)
    (message,) = _messages(records)
    assert (message.text, message.raw_text, message.flags) == (
        "a\ufffdb",
        "a\\ud83db",
        ("text_fixed",),
    )
    assert message.thread_title == "=?utf-7?q?+2D0-x?="  # the stdlib leaves it encoded
    assert _warnings(records) == [
        "body decodes to unpaired UTF-16 surrogates; replaced with U+FFFD",
        "Subject header unreadable (UnicodeEncodeError: 'utf-8' codec can't encode character "
        "'\\ud83d' in position 0: surrogates not allowed); raw value kept",
    ]


def test_html_only_body_is_converted_and_the_html_kept() -> None:
    html = (
        "<html><head><style>p{}</style></head>"
        "<body><p>Answer&nbsp;me</p><p>or else<br>now</p></body></html>\n"
    )
    records = _eml(_mail("Content-Type: text/html; charset=utf-8\n", html))
    (message,) = _messages(records)
    assert message.text == "Answer\u00a0me\n\nor else\nnow"
    assert message.raw_text == html.rstrip("\n")
    assert message.flags == ("text_fixed",)
    assert _warnings(records) == [
        "no text/plain body: text converted from the HTML body (crude); HTML kept"
    ]


def test_format_flowed_is_unflowed() -> None:
    assert unflow("Hello \nworld\n> quoted \n> more\n-- \nsig", delsp=False) == (
        "Hello world\n> quoted more\n-- \nsig"
    )
    assert unflow(" From stuffed", delsp=False) == "From stuffed"
    assert unflow("Sehr lang\u00e9 \nWort", delsp=True) == "Sehr langéWort"
    flowed = _mail("Content-Type: text/plain; charset=utf-8; format=flowed\n", "One long \nline.\n")
    assert _messages(_eml(flowed))[0].text == "One long line."


MULTIPART_HEADERS = """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
"""
MULTIPART = """--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Plain body.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>Plain body.</p><img src="cid:logo">
--rel
Content-Type: image/png
Content-ID: <logo>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--alt--
--outer
Content-Type: message/rfc822

From: Carol <carol@example.net>
Subject: Forwarded threat
Date: Sun, 3 Mar 2024 09:00:00 +0000

I know where you live.
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=UTF-8''re%CC%81sume%CC%81.pdf
Content-Transfer-Encoding: base64

JVBERi0=
--outer--
"""


def test_attachments_nested_message_inline_image_and_encoded_name() -> None:
    records = _eml(_mail("Subject: fw\n" + MULTIPART_HEADERS, MULTIPART))
    (message,) = _messages(records)
    assert message.text == "Plain body."
    assert message.kind == "media"
    assert message.attachments == ("part-1.2.2.png", "part-2.eml", "re\u0301sume\u0301.pdf")
    png, forwarded, pdf = _of(records, DerivedFile)
    assert isinstance(png, DerivedFile) and png.data == b"\x89PNG\r\n\x1a\n"
    assert isinstance(forwarded, DerivedFile) and forwarded.mime == "message/rfc822"
    inner = email.message_from_bytes(forwarded.data, policy=email.policy.default)
    assert (
        inner["Subject"] == "Forwarded threat"
        and "I know where you live." in forwarded.data.decode()
    )
    assert isinstance(pdf, DerivedFile) and pdf.data == b"%PDF-"
    assert [d.locator.pointer for d in _of(records, DerivedFile)] == [
        "/message[1]/part[1.2.2]",
        "/message[1]/part[2]",
        "/message[1]/part[3]",
    ]
    assert _warnings(records) == []


def test_received_chain_in_header_order_unfolded() -> None:
    raw = (
        b"Received: from mx by inbox; Mon, 4 Mar 2024 10:22:51 +0000\r\n"
        b"Received: from laptop\r\n\tby mx; Mon, 4 Mar 2024 10:22:49 +0000\r\n"
        b"From: a@example.com\r\n\r\nbody\r\n"
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    chain = (
        "from mx by inbox; Mon, 4 Mar 2024 10:22:51 +0000",
        "from laptop\tby mx; Mon, 4 Mar 2024 10:22:49 +0000",
    )
    assert received_chain(msg) == chain
    assert received_chain(email.message_from_bytes(b"From: a@b.c\n\nx")) == ()
    (message,) = _messages(_eml(raw))
    assert message.received_chain == chain
    assert message.text == "body"  # CRLF line ends read as line breaks


@pytest.mark.parametrize(
    ("headers", "thread_id"),
    [
        ("Message-ID: <c@x>\nIn-Reply-To: <b@x>\nReferences: <a@x> <b@x>\n", "<a@x>"),
        ("Message-ID: <c@x>\nIn-Reply-To: <b@x> (Bob's message)\n", "<b@x>"),
        ("Message-ID: <c@x>\n", "<c@x>"),
        ("", "no-message-id:line-1"),
    ],
)
def test_thread_ids(headers: str, thread_id: str) -> None:
    (message,) = _messages(_eml(_mail(headers)))
    assert message.thread_id == thread_id


def test_accounts_once_per_identity_before_first_use() -> None:
    one = _mail("Cc: Bob B <BOB@example.org>, carol@example.net\nSubject: 1\n")
    two = _mail("Subject: 2\n").replace(b"From: Alice", b"From: Alice Again")
    records = _mbox(b"From - \n" + one + b"\nFrom - \n" + two)
    shape = [(type(r).__name__, getattr(r, "display_name", None)) for r in records]
    assert shape == [
        ("Account", "Alice"),
        ("Account", None),
        ("Account", "Bob B"),
        ("Account", None),
        ("Message", None),
        ("Account", "Alice Again"),
        ("Message", None),
    ]
    first = _messages(records)[0]
    assert first.recipients == ("bob@example.org", "BOB@example.org", "carol@example.net")
    assert first.sender_key == "email:alice@example.com"


# --- sniffing -----------------------------------------------------------------------------


def test_sniffing_keeps_mbox_and_eml_apart() -> None:
    mbox = source_from_bytes(b"From a@b.c Mon Mar  4 10:22:50 2024\nFrom: a@b.c\n\nx\n", "Inbox")
    assert MBOX.sniff(mbox) and not EML.sniff(mbox)
    headers = source_from_bytes(
        _mail("Subject: s\nMessage-ID: <a@b>\n"), "saved.txt", mime="text/plain"
    )
    assert EML.sniff(headers) and not MBOX.sniff(headers)
    for other in (
        CASE / "evidence" / "WhatsApp Chat with Dan Price.txt",
        CASE / "evidence" / "sms-20240501093012.xml",
    ):
        source = source_from_file(other)
        assert not EML.sniff(source) and not MBOX.sniff(source)
    assert {"email_eml", "email_mbox"} <= {e.name for e in registry.registered()}


# --- damage -------------------------------------------------------------------------------


def test_truncated_mailbox_keeps_what_came_before() -> None:
    data = (CASE / "evidence" / MAILBOX).read_bytes()
    records = _mbox(data[:5000])  # ends inside the photo of the third message
    messages = _messages(records)
    assert [m.locator.line for m in messages] == [1, 26, 44]
    assert messages[2].flags == ("truncated",)
    assert "the file ends inside this message (closing MIME boundary missing)" in _warnings(records)


def test_wrong_encoding_utf16_file() -> None:
    data = _mail("Subject: s\n").decode("utf-8").encode("utf-16")
    for records in (_eml(data), _mbox(data)):
        assert all(isinstance(r, Record) for r in records)
        assert _warnings(records)


def test_invalid_header_syntax_is_warned_not_fatal() -> None:
    bad = (
        b'From: <<<@>>> "unterminated\nTo: ,,,;;;@@@\nDate: Mon, 32 Foo 2024 99:99:99 +9999\n'
        b"Content-Type: multipart/mixed; boundary=\nSubject: =?utf-8?B?####?=\n\n--\n"
    )
    records = _eml(bad)
    (message,) = _messages(records)
    assert "time_unparsed" in message.flags
    assert _warnings(records)


def test_bytes_before_the_first_separator_are_warned_first() -> None:
    records = _mbox(b"junk\n" + b"From - \n" + _mail(""))
    assert isinstance(records[0], ExtractWarning)
    assert records[0].message == (
        "5 bytes outside any message (before the first From_ line); not parsed"
    )
    assert len(_messages(records)) == 1


def test_unknown_layout_and_empty_inputs() -> None:
    assert _warnings(_eml(b"")) == ["no email message found"]
    assert _warnings(_eml(b"\r\n \n")) == ["no email message found"]
    assert _warnings(_mbox(b"")) == ["no email message found"]
    records = _mbox(b"not a mailbox at all\n" * 10)
    assert _warnings(records) == [
        "210 bytes outside any message (before the first From_ line); not parsed",
        "no email message found",
    ]


def test_very_long_single_line_20mb() -> None:
    line = b"A" * (20 << 20)  # 20 MB rather than 200 MB, to keep the suite fast
    mbox = b"From a@b.c Mon Mar  4 10:22:50 2024\n" + _mail("") + line + b"\n"
    (message,) = _messages(_mbox(mbox))
    assert message.text.endswith("A" * 100) and len(message.text) == len("Hello.\n") + len(line)
    records = _mbox(line)  # no newline at all, no separator
    assert _warnings(records)[0].startswith(f"{len(line)} bytes outside any message")


def test_oversized_message_is_cut_and_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(email_mime, "MAX_MESSAGE_BYTES", 200)
    big = b"From a@b.c Mon Mar  4 10:22:50 2024\n" + _mail("", "x" * 300 + "\n")
    records = _mbox(big + b"\n" + big)
    messages = _messages(records)
    assert len(messages) == 2 and all("truncated" in m.flags for m in messages)
    assert any("were not parsed" in w for w in _warnings(records))


SEEDS = [
    (SAMPLES / "mimekit__issue1189.mbox").read_bytes(),
    (SAMPLES / "mimekit__unmunged.mbox").read_bytes(),
    (SAMPLES / "mailparser__mail_malformed_2.eml").read_bytes(),
    _mail("Subject: s\n" + MULTIPART_HEADERS, MULTIPART),
]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b"\nFrom - \n", b"\n--", b"=?utf-8?q?", b">From ", b"\r", b"\xff\xfe"]
                )
                | st.binary(max_size=16)
            )
        else:
            del data[at:]
    return bytes(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_mutated(), st.binary(max_size=2000)))
def test_mutated_and_random_inputs_give_only_records_or_warnings(data: bytes) -> None:
    for extractor in (EML, MBOX):
        records = extract_all(extractor, source_from_bytes(data, "fuzz", mime="text/plain"))
        assert all(isinstance(r, Record) for r in records)
        for message in _messages(records):
            assert message.kind in KINDS and set(message.flags) <= FLAGS
            message.text.encode("utf-8")  # no lone surrogates reach the records
        assert extract_all(extractor, source_from_bytes(data, "fuzz", mime="text/plain")) == records


def test_display_name_that_is_another_address_is_not_the_sender() -> None:
    """issue 16 §4: ``From: alice@example.com <bob@example.org>`` is bob's mail."""
    records = _eml(spoofed_eml())
    (message,) = _messages(records)
    assert (message.sender_identifier, message.sender_key) == (
        "bob@example.org",
        "email:bob@example.org",
    )
    assert message.recipients == (
        "dave@example.org",
        "hannah@example.com",
        "frank@example.org",
        "grace@example.com",
    )
    assert message.flags == ("display_name_other_address",)
    accounts = [(a.email, a.display_name) for a in _of(records, Account)]  # type: ignore[attr-defined]
    assert accounts == [
        ("bob@example.org", "alice@example.com"),
        ("dave@example.org", "carol@example.com"),
        ("hannah@example.com", "Hannah"),
        ("frank@example.org", "erin@example.com"),  # RFC 2047-encoded name, decoded
        ("grace@example.com", "GRACE@example.com"),  # its own address: not flagged
    ]
    spoofs = [w for w in _warnings(records) if "another address" in w]
    assert spoofs == [
        "sender bob@example.org is shown under the name 'alice@example.com', which is another "
        "address (alice@example.com) than the address the mail came from: the sender is "
        "bob@example.org; the name is kept as written",
        "recipient dave@example.org is shown under the name 'carol@example.com', which is "
        "another address (carol@example.com) than the recipient's own address: the recipient "
        "is dave@example.org; the name is kept as written",
        "recipient frank@example.org is shown under the name 'erin@example.com', which is "
        "another address (erin@example.com) than the recipient's own address: the recipient "
        "is frank@example.org; the name is kept as written",
    ]
    assert "From header malformed; read by its angle addresses as: bob@example.org" in (
        _warnings(records)
    )


def test_honest_display_names_are_not_flagged() -> None:
    data = spoofed_eml().replace(b"From: alice@example.com <", b'From: "Bob" <')
    data = data.replace(b'"carol@example.com" <', b"Dave <")
    data = data.replace(b"=?utf-8?q?erin=40example=2Ecom?= <", b"<")
    (message,) = _messages(_eml(data))
    assert (message.sender_identifier, message.flags) == ("bob@example.org", ())
