"""A hand-made, realistic BundleContext: a stalking case, for renderer and bundle tests.

R v Daniel Cole: Hannah Price is contacted by WhatsApp, SMS, Instagram and email from
accounts in three alias groups (the suspect, his sister's accounts used against her, and
the victim's own accounts). About twenty exhibits, one a 300-message WhatsApp thread whose
pace rises week by week; case details partly filled, partly missing, so renderers must
print "for completion" markers. Everything is derived from fixed seeds: the same call
returns equal contexts.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from exports.context import (
    AccountView,
    AliasGroupView,
    BundleContext,
    CaseDetails,
    CaseFileInformation,
    DigitalStrategy,
    ExaminerView,
    ExhibitView,
    FileType,
    ItemView,
    LedgerExtract,
    LinkView,
    MessageView,
    Offence,
    Officer,
    OutstandingItem,
    PersonTimelineView,
    RestrainingOrder,
    RiskAnswer,
    RiskAssessment,
    UnusedView,
    VictimStatement,
    WeekCount,
)

CASE_ID = "5f1c2a9e-3d4b-4e8a-9a51-0c7d2b6e1f00"
BUNDLE_ID = "b-42AB0123456-20240514T093000Z"
GENERATED = "2024-05-14T09:30:00Z"
START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # a Monday
LONDON = ZoneInfo("Europe/London")

SUSPECT_PHONE = "+447700900987"
SISTER_PHONE = "+447700900321"
VICTIM_PHONE = "+447700900123"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


EXAMINERS = (
    ExaminerView(
        "JS",
        "Jane Smith",
        _sha("key JS"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJS js@dfu",
        "2024-04-29T08:00:00Z",
    ),
    ExaminerView(
        "AK",
        "Amir Khan",
        _sha("key AK"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAK ak@dfu",
        "2024-04-30T10:15:00Z",
    ),
)


def _item(n: int, name: str, mime: str, by: str, source: str, size: int, **kw: object) -> ItemView:
    sha = _sha(f"item {n} {name}")
    return ItemView(
        id=f"00000000-0000-4000-8000-{n:012d}",
        sha256=sha,
        size=size,
        mime=mime,
        name=name,
        path=str(kw.pop("path", f"/evidence/{name}")),
        parent_sha256=kw.pop("parent", None),  # type: ignore[arg-type]
        acquired_at_utc=_z(datetime(2024, 4, 29, 9, 0, tzinfo=UTC) + timedelta(minutes=7 * n)),
        acquired_by=by,
        source=source,
        reason=str(kw.pop("reason", "Produced by the victim as evidence of contact")),
        ledger_seq=10 + n,
        extractors=tuple(kw.pop("extractors", ())),  # type: ignore[arg-type]
        warnings=tuple(kw.pop("warnings", ())),  # type: ignore[arg-type]
    )


_SUSPECT_LINES = [
    "Hi Hannah, long time. Just wanted to say hello x",
    "Why are you ignoring me?",
    "I saw you at Tesco on Saturday. You looked well.",
    "Answer your phone.",
    "You can't just cut me off after everything 😡",
    "I know you moved to Elm Road. Nice blue door.",
    "Your new car is parked outside again I see",
    "I'm not going away Hannah",
    "If you block this number I'll just get another one",
    "Tell your mum I said hi, she's still at number 14 isn't she",
    "You'll regret going to the police",
    "I'm watching you walk to work every morning",
    "Nobody will believe you. You know what happens if you keep this up",
    "I'll be waiting outside your work at 5",
    "You think a new number stops me? I found you in an hour",
]
_VICTIM_LINES = [
    "Please stop messaging me.",
    "I have asked you to leave me alone.",
    "I am going to the police if this continues.",
    "Do not come to my house.",
    "Stop.",
]


def _thread(ex_ref: str, item: ItemView, count: int, seed: int) -> tuple[MessageView, ...]:
    """A WhatsApp thread whose weekly count rises (the escalation a chart must show)."""
    rng = random.Random(seed)
    weeks = 10
    # weights rise across the weeks: 1, 2, 3 … so the last weeks hold most messages
    per_week = [round(count * (w + 1) / sum(range(1, weeks + 1))) for w in range(weeks)]
    per_week[-1] += count - sum(per_week)
    out: list[MessageView] = []
    n = 0
    for week, k in enumerate(per_week):
        stamps = sorted(rng.randrange(0, 7 * 24 * 3600) for _ in range(k))
        for s in stamps:
            n += 1
            sent = START + timedelta(weeks=week, seconds=s)
            outgoing = rng.random() < 0.18
            line = (
                rng.choice(_VICTIM_LINES)
                if outgoing
                else _SUSPECT_LINES[min(len(_SUSPECT_LINES) - 1, week + rng.randrange(0, 6))]
            )
            kind, flags, edited = "text", ["tz_assumed"], False
            if n == 41:
                kind, line = "deleted", "This message was deleted"
                flags.append("deleted")
            if n == 77:
                edited = True
            if n == 120:
                kind, line = "media", "<attached: 00000120-PHOTO-2024-04-02.jpg>"
            if n == 150:
                line = (
                    "I want you to understand that I am not going to stop. I know where you "
                    "work, I know your friends, I know which bus you take on Thursdays and I "
                    "know your sister's address in Leeds. Everyone will find out what you "
                    "did. You brought this on yourself and you can end it by answering me."
                )
            local = sent.astimezone(LONDON)
            out.append(
                MessageView(
                    id=f"{seed}-{n}",
                    platform="whatsapp",
                    thread_id=f"whatsapp:thread:{seed}",
                    thread_title="Dan",
                    kind=kind,
                    text=line,
                    sent_at_utc=_z(sent),
                    sent_at_raw=local.strftime("%d/%m/%Y, %H:%M"),
                    tz="Europe/London",
                    tz_assumed=True,
                    flags=tuple(flags),
                    edited=edited,
                    attachments=("00000120-PHOTO-2024-04-02.jpg",) if n == 120 else (),
                    sender_identifier="Hannah" if outgoing else "Dan",
                    sender_display="Hannah Price" if outgoing else "Dan",
                    sender_account_id="whatsapp:Hannah" if outgoing else "whatsapp:Dan",
                    direction="outgoing" if outgoing else "incoming",
                    locator=f"{item.path}, line {n + 1}",
                    item_sha256=item.sha256,
                    highlighted=(not outgoing and n % 23 == 0) or n == 150,
                )
            )
    return tuple(out)


def _sms(item: ItemView, count: int) -> tuple[MessageView, ...]:
    out = []
    for n in range(1, count + 1):
        sent = START + timedelta(days=20, hours=5 * n)
        out.append(
            MessageView(
                id=f"sms-{n}",
                platform="sms",
                thread_id=f"sms:{SISTER_PHONE}",
                thread_title=None,
                kind="text",
                text=_SUSPECT_LINES[n % len(_SUSPECT_LINES)].replace("I'm", "He's"),
                sent_at_utc=_z(sent),
                sent_at_raw=sent.strftime("%m/%d/%Y %H:%M"),
                tz="Europe/London",
                tz_assumed=False,
                flags=("date_order_assumed",) if n % 7 == 0 else (),
                edited=False,
                attachments=(),
                sender_identifier=SISTER_PHONE,
                sender_display="Sarah",
                sender_account_id=f"sms:{SISTER_PHONE}",
                direction="incoming",
                locator=f"{item.path}, pointer /smses/sms[{n}]",
                item_sha256=item.sha256,
                highlighted=n in (4, 9),
            )
        )
    return tuple(out)


def _items() -> list[ItemView]:
    items = [
        _item(
            1,
            "WhatsApp Chat with Dan.zip",
            "application/zip",
            "JS",
            "victim's iPhone 12 (IMEI 35-209900-176148-1)",
            482_113,
            extractors=("whatsapp_txt@1.2",),
            reason=(
                "Victim's WhatsApp chat with the suspect, exported on her phone in the "
                "examiner's presence"
            ),
        ),
        _item(
            2,
            "sms-backup-2024-04-28.xml",
            "text/xml",
            "JS",
            "victim's iPhone 12 (IMEI 35-209900-176148-1)",
            88_410,
            extractors=("sms_backup_xml@1.0",),
            warnings=(
                "3 messages had month and day that could be read either way; day-first assumed",
            ),
        ),
        _item(
            3,
            "instagram-hannah.p-2024-05-01.zip",
            "application/zip",
            "AK",
            "Instagram account hannah.p (download your information)",
            2_304_551,
            extractors=("instagram_json@1.1",),
        ),
    ]
    for k in range(4, 16):
        items.append(
            _item(
                k,
                f"IMG_{4000 + k}.PNG",
                "image/png",
                "JS",
                "victim's iPhone 12 (IMEI 35-209900-176148-1)",
                300_000 + 977 * k,
                extractors=("image_meta@1.0",),
                reason="Screenshot of a message or post produced by the victim",
            )
        )
    items += [
        _item(
            16,
            "email-2024-04-22.eml",
            "message/rfc822",
            "AK",
            "victim's Gmail account h.price@example.com",
            12_903,
            extractors=("email_eml@1.0",),
        ),
        _item(
            17,
            "call-log-2024-04.xml",
            "text/xml",
            "AK",
            "victim's iPhone 12 (IMEI 35-209900-176148-1)",
            40_221,
            extractors=("calls_xml@1.0",),
        ),
        _item(
            18,
            "facebook-hannahprice.zip",
            "application/zip",
            "AK",
            "Facebook account hannah.price.90",
            9_801_233,
            extractors=("facebook_json@1.3",),
        ),
        _item(
            19,
            "doorbell-2024-04-30.mp4",
            "video/mp4",
            "AK",
            "victim's Ring doorbell account",
            31_200_000,
        ),
        _item(
            20,
            "voicemail-2024-05-02.m4a",
            "audio/mp4",
            "JS",
            "victim's iPhone 12 (IMEI 35-209900-176148-1)",
            512_000,
        ),
    ]
    return items


def _exhibits(items: list[ItemView]) -> tuple[ExhibitView, ...]:
    wa = _thread("JS/1", items[0], 300, 7)
    sms = _sms(items[1], 60)
    out = [
        ExhibitView(
            "JS/1",
            1,
            "JS",
            "thread",
            "WhatsApp conversation between the victim and 'Dan' (+44 7700 900987), whole thread",
            "Course of conduct: the suspect's messages rising from weekly to daily, with threats",
            "2024-05-02T10:00:00Z",
            201,
            (items[0],),
            wa,
            wa[0].sent_at_utc,
            wa[-1].sent_at_utc,
            (wa[0].thread_id,),
        ),
        ExhibitView(
            "JS/2",
            2,
            "JS",
            "thread",
            "SMS conversation with +44 7700 900321 (alias group 'Sarah Cole')",
            "Third-party contact on the suspect's behalf",
            "2024-05-02T10:05:00Z",
            202,
            (items[1],),
            sms,
            sms[0].sent_at_utc,
            sms[-1].sent_at_utc,
            (sms[0].thread_id,),
        ),
    ]
    for k, item in enumerate(items[3:15], start=3):
        out.append(
            ExhibitView(
                f"JS/{k}",
                k,
                "JS",
                "item",
                f"Screenshot {item.name}: message from an Instagram account in the "
                "suspect's alias group",
                "Shows contact from a new profile after the victim blocked the suspect",
                f"2024-05-02T10:{k:02d}:00Z",
                200 + k,
                (item,),
                date_from_utc=f"2024-04-0{1 + k % 9}T12:00:00Z",
                date_to_utc=f"2024-04-0{1 + k % 9}T12:00:00Z",
            )
        )
    ig = replace(_sms(items[2], 12)[0], platform="instagram")
    selection = tuple(
        replace(
            ig,
            id=f"ig-{n}",
            text=_SUSPECT_LINES[n],
            thread_id="instagram:t1",
            sender_identifier="d4nny_c",
            sender_display="danny c",
            sender_account_id="instagram:d4nny_c",
            locator=f"{items[2].path}!/messages/inbox/d4nny_c/message_1.json, "
            f"pointer /messages/{n}",
            item_sha256=items[2].sha256,
            highlighted=True,
            flags=(),
            sent_at_utc=_z(START + timedelta(days=40, hours=n)),
        )
        for n in range(12)
    )
    out.append(
        ExhibitView(
            "AK/1",
            1,
            "AK",
            "messages",
            "Selected Instagram direct messages from 'd4nny_c'",
            "Contact after blocking; account linked to the suspect by phone and photo",
            "2024-05-03T09:00:00Z",
            230,
            (items[2],),
            selection,
            selection[0].sent_at_utc,
            selection[-1].sent_at_utc,
            ("instagram:t1",),
        )
    )
    for k, item in enumerate(items[15:19], start=2):
        out.append(
            ExhibitView(
                f"AK/{k}",
                k,
                "AK",
                "item",
                f"{item.name}",
                "Corroborates the course of conduct",
                f"2024-05-03T09:{k:02d}:00Z",
                230 + k,
                (item,),
            )
        )
    return tuple(out)


def _aliases() -> tuple[tuple[AliasGroupView, ...], tuple[LinkView, ...]]:
    dan = (
        AccountView(f"sms:{SUSPECT_PHONE}", "sms", "Dan", (SUSPECT_PHONE,)),
        AccountView("whatsapp:Dan", "whatsapp", "Dan", ("Dan", SUSPECT_PHONE)),
        AccountView(
            "instagram:d4nny_c", "instagram", "danny c (@d4nny_c)", ("d4nny_c", "ig:5512093")
        ),
        AccountView(
            "instagram:danny.c.2024", "instagram", "Danny (@danny.c.2024)", ("danny.c.2024",)
        ),
        AccountView("email:dcole77@example.net", "email", "D Cole", ("dcole77@example.net",)),
    )

    def link(a: str, b: str, score: float, reasons: tuple[str, ...], by: str = "JS") -> LinkView:
        return LinkView(
            a,
            b,
            score,
            "strong" if score > 0.8 else "weak",
            reasons,
            "confirmed",
            by,
            f"2024-05-01T14:{int(score * 50):02d}:00Z",
            None,
        )

    g1 = AliasGroupView(
        "g1",
        "Daniel Cole (suspect)",
        dan,
        (
            link(
                dan[0].id, dan[1].id, 0.99, ("Both accounts use the phone number +44 7700 900987.",)
            ),
            link(
                dan[1].id,
                dan[2].id,
                0.86,
                (
                    (
                        "The Instagram profile picture is the same image as the WhatsApp "
                        "avatar (perceptual hash distance 2)."
                    ),
                    "The Instagram bio gives the WhatsApp number.",
                ),
            ),
            link(
                dan[2].id,
                dan[3].id,
                0.81,
                (
                    (
                        "Both profiles created within a day of the victim blocking the other; "
                        "same display name 'danny'."
                    ),
                ),
                "AK",
            ),
            link(
                dan[0].id,
                dan[4].id,
                0.74,
                ("The email signature gives the phone number +44 7700 900987.",),
            ),
        ),
    )
    sis = (
        AccountView(f"sms:{SISTER_PHONE}", "sms", "Sarah", (SISTER_PHONE,)),
        AccountView("facebook:sarah.cole.31", "facebook", "Sarah Cole", ("sarah.cole.31",)),
    )
    g2 = AliasGroupView(
        "g2",
        "Sarah Cole (suspect's sister)",
        sis,
        (
            link(
                sis[0].id,
                sis[1].id,
                0.83,
                ("The Facebook account lists the phone number +44 7700 900321.",),
                "AK",
            ),
        ),
    )
    vic = (
        AccountView("whatsapp:Hannah", "whatsapp", "Hannah", ("Hannah", VICTIM_PHONE)),
        AccountView("instagram:hannah.p", "instagram", "Hannah P", ("hannah.p",)),
        AccountView("facebook:hannah.price.90", "facebook", "Hannah Price", ("hannah.price.90",)),
    )
    g3 = AliasGroupView(
        "g3",
        None,
        vic,
        (
            link(vic[0].id, vic[1].id, 0.9, ("Owner accounts of the victim's own downloads.",)),
            link(vic[1].id, vic[2].id, 0.9, ("Owner accounts of the victim's own downloads.",)),
        ),
    )
    rejected = (
        LinkView(
            "instagram:danny.c.2024",
            "instagram:danny_c_official",
            0.55,
            "weak",
            ("Similar handle.",),
            "rejected",
            "JS",
            "2024-05-01T15:02:00Z",
            "A different person: a musician with a public page, no contact with the victim.",
        ),
        LinkView(
            f"sms:{SISTER_PHONE}",
            f"sms:{SUSPECT_PHONE}",
            0.41,
            "weak",
            ("Numbers differ in three digits.",),
            "rejected",
            "AK",
            "2024-05-01T15:30:00Z",
            None,
        ),
    )
    return (g1, g2, g3), rejected


def _weeks(counts: list[int], threats: list[int], calls: list[int]) -> tuple[WeekCount, ...]:
    return tuple(
        WeekCount((START + timedelta(weeks=w)).date().isoformat(), m, c, t)
        for w, (m, c, t) in enumerate(zip(counts, calls, threats, strict=True))
    )


def _timelines(exhibits: tuple[ExhibitView, ...]) -> tuple[PersonTimelineView, ...]:
    wa = exhibits[0].messages
    incoming = [m for m in wa if m.direction == "incoming"]
    by_week = [0] * 10
    threats = [0] * 10
    for m in incoming:
        w = (datetime.fromisoformat(m.sent_at_utc or "") - START).days // 7
        by_week[w] += 1
        threats[w] += int(any(k in m.text for k in ("regret", "happens", "waiting", "watching")))
    calls = [0, 0, 1, 0, 2, 3, 2, 5, 8, 11]
    excerpts = tuple((m, "JS/1") for m in incoming if m.highlighted)[:6]
    g1 = PersonTimelineView(
        "g1",
        "Daniel Cole (suspect)",
        wa[0].sent_at_utc,
        wa[-1].sent_at_utc,
        (("whatsapp", len(incoming)), ("phone calls", sum(calls)), ("instagram", 12), ("email", 3)),
        _weeks(by_week, threats, calls),
        "rising: 3 a week in early March to about 50 a week in early May",
        excerpts,
    )
    sms = exhibits[1].messages
    g2 = PersonTimelineView(
        "g2",
        "Sarah Cole (suspect's sister)",
        sms[0].sent_at_utc,
        sms[-1].sent_at_utc,
        (("sms", len(sms)),),
        _weeks([0, 0, 5, 8, 8, 9, 8, 8, 8, 6], [0, 0, 0, 1, 0, 1, 1, 0, 2, 1], [0] * 10),
        "steady: about 8 a week from late March",
        ((sms[3], "JS/2"), (sms[8], "JS/2")),
    )
    return (g1, g2)


def _details() -> CaseDetails:
    return CaseDetails(
        officer=Officer(
            name="PC 4471 Laura Bennett", rank=None, number="4471", station="Leeds Central"
        ),
        suspect="Daniel COLE, born 12/07/1988",
        victim="Hannah PRICE",
        offences=(
            Offence(
                "Stalking involving fear of violence or serious alarm or distress",
                "s.4A Protection from Harassment Act 1997",
                (
                    "A course of conduct (conduct on at least two occasions)",
                    "which amounts to stalking",
                    (
                        "and causes the victim to fear, on at least two occasions, that "
                        "violence will be used, or serious alarm or distress with a "
                        "substantial adverse effect on her usual day-to-day activities"
                    ),
                    "which the suspect knows or ought to know will have that effect",
                ),
            ),
            Offence(
                "Sending a communication conveying a threat",
                "s.1 Malicious Communications Act 1988",
                (),
            ),
        ),
        digital_strategy=DigitalStrategy(
            sources=(
                (
                    "victim's iPhone 12: WhatsApp chat export and SMS backup, made on the "
                    "device in the examiner's presence"
                ),
                "victim's Instagram and Facebook downloads",
                "victim's Gmail account (one message)",
            ),
            capture_method=(
                "Exports made by the victim on her own device, copied by the examiner to "
                "write-once storage; no full device extraction"
            ),
            date_from="2024-03-01",
            date_to="2024-05-10",
            parties=(
                "Hannah PRICE (victim)",
                "accounts in the alias groups 'Daniel Cole' and 'Sarah Cole'",
            ),
            keywords=(),
            keywords_reason=None,
            proportionality=(
                "Only conversations with the suspect's accounts and the dates of the reported "
                "conduct were taken; the victim kept her phone."
            ),
        ),
        outstanding=(
            OutstandingItem(
                "Subscriber details for +44 7700 900321", "communications", "2024-06-14", "DC Patel"
            ),
            OutstandingItem(
                "Instagram account records for d4nny_c (platform request)",
                "platform request",
                None,
                None,
            ),
        ),
        restraining_order=RestrainingOrder(
            True,
            (
                "She wants an order: she is afraid to walk to work and wants him kept away "
                "from Elm Road and her mother's address."
            ),
            (
                (
                    "Not to contact Hannah PRICE directly or indirectly by any means, "
                    "including WhatsApp, SMS, Instagram, Facebook and email, or through a "
                    "third party"
                ),
                "Not to post anything about Hannah PRICE on any social media",
            ),
            ("Elm Road, Leeds", "Harehills Lane between Roundhay Road and Easterly Road"),
            None,
        ),
        risk=(
            RiskAssessment(
                "S-DASH",
                "DC Patel",
                "2024-04-29",
                "high",
                tuple(
                    RiskAnswer(i + 1, t, a, d)
                    for i, (t, a, d) in enumerate(
                        [
                            ("victim very frightened", "yes", "Afraid to leave the house alone"),
                            (
                                "previous harassment by the suspect",
                                "yes",
                                "Previous relationship 2019-2023",
                            ),
                            ("property damaged", "no", None),
                            ("visits work/home more than three times a week", "yes", None),
                            ("loitering", "yes", "Seen outside her work twice"),
                            ("threats of physical or sexual violence", "yes", None),
                            ("harassing third parties", "yes", "Her mother and sister contacted"),
                            ("violence within the current incidents", "no", None),
                            ("involving other people", "yes", "His sister's phone used"),
                            ("drugs/alcohol", "not known", None),
                            ("past violence", "not known", None),
                        ]
                    )
                ),
            ),
        ),
        vps=VictimStatement(offered=True, taken=None, date=None, item_sha256=None),
        mg6=CaseFileInformation(
            victim_safety="Victim has a panic alarm fitted (Leeds DA team, 2 May 2024).",
            sensitive_locations="Victim's new address must not be disclosed.",
            platform_requests=(
                OutstandingItem(
                    "Meta (Instagram) records for d4nny_c", "platform request", "2024-06-30", "SPOC"
                ),
            ),
            notes=None,
        ),
        lines_of_enquiry=(
            "Victim's own devices and accounts examined for the reported period",
            "Doorbell footage requested and obtained (AK/5)",
        ),
        lines_not_pursued=(
            "Suspect's devices: not seized pre-charge; to be reviewed at interview",
        ),
    )


def _unused(items: list[ItemView]) -> tuple[UnusedView, ...]:
    extra = [
        _item(
            30 + k,
            name,
            mime,
            "JS",
            "victim's iPhone 12 (IMEI 35-209900-176148-1)",
            10_000 * (k + 1),
        )
        for k, (name, mime) in enumerate(
            [
                ("WhatsApp Chat with Mum.zip", "application/zip"),
                ("IMG_3999.PNG", "image/png"),
                ("IMG_4001.PNG", "image/png"),
                ("counselling-notes.pdf", "application/pdf"),
                ("sms-backup-older.xml", "text/xml"),
                ("IMG_4002.HEIC", "image/heic"),
                ("notes.txt", "text/plain"),
                ("medical-letter.jpg", "image/jpeg"),
            ]
        )
    ]
    out = [
        UnusedView(n + 1, it, f"{it.name}: acquired with the victim's exports, not relied on")
        for n, it in enumerate(extra)
    ]
    out[0] = replace(
        out[0],
        description=(
            "WhatsApp export of the victim's chat with her mother, 1,204 messages, 1 Mar–10 "
            "May 2024; mentions the suspect's visits (may assist the defence on dates)"
        ),
    )
    out[3] = replace(
        out[3],
        sensitive=True,
        sensitive_reason="Victim's counselling notes: third-party confidential material",
    )
    out[7] = replace(out[7], sensitive=True, sensitive_reason="Victim's medical information")
    out.append(
        UnusedView(len(out) + 1, items[19], "Voicemail, 0:42, not exhibited pending transcription")
    )
    return tuple(out)


def _ledger(items: list[ItemView], exhibits: tuple[ExhibitView, ...]) -> LedgerExtract:
    actor = {"JS": EXAMINERS[0].key_id[:16], "AK": EXAMINERS[1].key_id[:16]}
    entries: list[dict[str, object]] = [
        {
            "seq": 0,
            "case": CASE_ID,
            "prev": "0" * 64,
            "at": "2024-04-29T08:00:00Z",
            "actor": actor["JS"],
            "action": "case.created",
            "subject": CASE_ID,
            "data": {
                "urn": "42AB0123456",
                "title": "R v Cole",
                "examiner": {"initials": "JS", "name": "Jane Smith"},
            },
            "entry_hash": _sha("e0"),
            "signature": _sha("s0") * 2,
        },
        {
            "seq": 1,
            "case": CASE_ID,
            "prev": _sha("e0"),
            "at": "2024-04-30T10:15:00Z",
            "actor": actor["AK"],
            "action": "examiner.added",
            "subject": "AK",
            "data": {"initials": "AK", "name": "Amir Khan"},
            "entry_hash": _sha("e1"),
            "signature": _sha("s1") * 2,
        },
    ]
    for it in items:
        entries.append(
            {
                "seq": it.ledger_seq,
                "case": CASE_ID,
                "prev": _sha(f"e{it.ledger_seq - 1}"),
                "at": it.acquired_at_utc,
                "actor": actor[it.acquired_by],
                "action": "item.acquired",
                "subject": it.sha256,
                "data": {
                    "item_id": it.id,
                    "name": it.name,
                    "sha256": it.sha256,
                    "size": it.size,
                    "source": it.source,
                    "tool": "evidence-workstation 0.1.0",
                },
                "entry_hash": _sha(f"e{it.ledger_seq}"),
                "signature": _sha(f"s{it.ledger_seq}") * 2,
            }
        )
        for ext in it.extractors:
            seq = it.ledger_seq + 100
            entries.append(
                {
                    "seq": seq,
                    "case": CASE_ID,
                    "prev": _sha(f"e{seq - 1}"),
                    "at": it.acquired_at_utc.replace(":00Z", ":30Z"),
                    "actor": actor[it.acquired_by],
                    "action": "item.extracted",
                    "subject": it.sha256,
                    "data": {
                        "extractor": ext,
                        "records": 300 if it.name.startswith("WhatsApp") else 12,
                        "merkle_root": _sha(f"root {seq}"),
                        "status": "ok",
                    },
                    "entry_hash": _sha(f"e{seq}"),
                    "signature": _sha(f"s{seq}") * 2,
                }
            )
    for ex in exhibits:
        entries.append(
            {
                "seq": ex.ledger_seq,
                "case": CASE_ID,
                "prev": _sha(f"e{ex.ledger_seq - 1}"),
                "at": ex.assigned_at_utc,
                "actor": actor[ex.producer_initials],
                "action": "exhibit.assigned",
                "subject": ex.ref,
                "data": {"ref": ex.ref, "kind": ex.kind, "items": [i.sha256 for i in ex.items]},
                "entry_hash": _sha(f"e{ex.ledger_seq}"),
                "signature": _sha(f"s{ex.ledger_seq}") * 2,
            }
        )
    entries.sort(key=lambda e: int(str(e["seq"])))
    root = _sha("root 260")
    checkpoint = {
        "origin": f"ews/{CASE_ID}",
        "size": 260,
        "root": root,
        "at": "2024-05-14T09:29:58Z",
        "key_id": EXAMINERS[0].key_id,
        "signature": _sha("checkpoint") * 2,
    }
    return LedgerExtract(tuple(entries), checkpoint, 260, root)


def sample_context(file_type: FileType = "pre-charge") -> BundleContext:
    """The sample stalking case (about 20 exhibits, 3 alias groups, details partly missing)."""
    items = _items()
    exhibits = _exhibits(items)
    groups, rejected = _aliases()
    return BundleContext(
        urn="42AB0123456",
        title="R v Daniel COLE – stalking of Hannah PRICE",
        case_id=CASE_ID,
        bundle_id=BUNDLE_ID,
        file_type=file_type,
        generated_at_utc=GENERATED,
        local_tz="Europe/London",
        tool="evidence-workstation 0.1.0",
        examiners=EXAMINERS,
        details=_details(),
        exhibits=exhibits,
        unused=_unused(items),
        alias_groups=groups,
        rejected_links=rejected,
        timelines=_timelines(exhibits),
        ledger=_ledger(items, exhibits),
        counts={"items": 28, "messages": 372, "calls": 32, "accounts": 10},
    )


def bare_context(file_type: FileType = "pre-charge") -> BundleContext:
    """The sample case with no case details recorded at all (every officer field missing)."""
    return replace(sample_context(file_type), details=CaseDetails())
