"""Images offered as evidence (FORMATS.md §10): EXIF, PNG chunks, names, hashes, duplicates.

Real-format samples: tests/data/formats/screenshots/ (synthetic, see its SOURCES.md). Case
alpha: tests/data/case_alpha/evidence/{screenshots,profiles}/ against truth.json. Other
inputs are built in this file with Pillow (``_jpeg``, ``_png``, ``_chunk``) so each quirk
has a small, explained sample.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.models import ImageMetaRecord
from extractors import _phash_neighbours, registry
from extractors.base import Context, Source
from extractors.errors import ExtractionCancelled
from extractors.image_meta import ImageMetaExtractor, _buckets, near_duplicates
from extractors.records import ExtractWarning, ImageMeta, Locator, Record
from tests.extractors.helpers import (
    extract_all,
    source_from_bytes,
    source_from_file,
    source_from_zip_member,
)
from workstation.ingest import ingest_paths

DATA = Path(__file__).resolve().parent.parent / "data"
CASE = DATA / "case_alpha"
EVIDENCE = CASE / "evidence"
SAMPLES = DATA / "formats" / "screenshots" / "synthetic"
TRUTH = json.loads((CASE / "truth.json").read_text(encoding="utf-8"))
EXTRACTOR = ImageMetaExtractor()

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL, SOFTWARE, DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
DTO, OFFSET, OFFSET_DTO, USER_COMMENT = 0x9003, 0x9010, 0x9011, 0x9286
EXIF_WIDTH, EXIF_HEIGHT = 0xA002, 0xA003


# --- builders -------------------------------------------------------------------------------


def _pixels(size: tuple[int, int], seed: int) -> Image.Image:
    """A deterministic noisy picture (a flat one hashes to a trivial phash)."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (8, 8), bytes(rng.randrange(256) for _ in range(192)))
    return small.resize(size, Image.Resampling.BILINEAR)


def _exif(
    exif_ifd: dict[int, Any] | None = None, gps: dict[int, Any] | None = None, **ifd0: Any
) -> Image.Exif:
    exif = Image.Exif()
    names = {"make": MAKE, "model": MODEL, "software": SOFTWARE, "datetime": DATETIME}
    for name, value in ifd0.items():
        exif[names[name]] = value
    if exif_ifd:
        exif.get_ifd(EXIF_IFD).update(exif_ifd)
    if gps:
        exif.get_ifd(GPS_IFD).update(gps)
    return exif


def _jpeg(
    exif: Image.Exif | None = None, size: tuple[int, int] = (64, 128), seed: int = 1
) -> bytes:
    out = io.BytesIO()
    _pixels(size, seed).save(
        out, "JPEG", quality=90, **({"exif": exif} if exif is not None else {})
    )
    return out.getvalue()


def _png(
    info: PngInfo | None = None, size: tuple[int, int] = (64, 128), exif: Image.Exif | None = None
) -> bytes:
    out = io.BytesIO()
    extra: dict[str, Any] = {"pnginfo": info} if info else {}
    if exif is not None:
        extra["exif"] = exif
    _pixels(size, 2).save(out, "PNG", **extra)
    return out.getvalue()


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _before_iend(png: bytes, *chunks: bytes) -> bytes:
    """Insert chunks after the pixel data (iOS and some tools write text chunks there)."""
    at = png.rindex(b"IEND") - 4
    return png[:at] + b"".join(chunks) + png[at:]


def _run(
    data: bytes, name: str, ctx: Context | None = None, mime: str | None = None
) -> tuple[ImageMeta, list[str]]:
    records = extract_all(EXTRACTOR, source_from_bytes(data, name, mime=mime), ctx)
    return _split(records)


def _split(records: list[Record]) -> tuple[ImageMeta, list[str]]:
    """The one ImageMeta (always last) and the warning messages before it."""
    assert isinstance(records[-1], ImageMeta)
    assert all(isinstance(r, ExtractWarning) for r in records[:-1])
    return records[-1], [r.message for r in records[:-1] if isinstance(r, ExtractWarning)]


def _evidence(path: str) -> tuple[ImageMeta, list[str]]:
    return _split(extract_all(EXTRACTOR, source_from_file(EVIDENCE / path)))


# --- case alpha -----------------------------------------------------------------------------


@pytest.mark.parametrize("image", TRUTH["images"], ids=lambda i: i["file"])
def test_case_alpha_screenshot_metadata_matches_truth(image: dict[str, Any]) -> None:
    record, warnings = _evidence(image["file"])
    assert warnings == []
    assert record.phash is not None and len(record.phash) == 16
    if image.get("exif") is None and image["kind"] == "screenshot-copy":
        # WhatsApp re-encoded it: no EXIF left, 2/3 of the original size, a received image
        assert (record.captured_at_raw, record.captured_at_utc, record.make) == (None, None, None)
        assert (record.width, record.height) == (720, 1560)
        assert not record.screenshot and record.screenshot_evidence == ()
        assert record.app_guess == "WhatsApp"
        return
    assert record.screenshot and record.screenshot_evidence
    assert (record.width, record.height) == (image["width"], image["height"])
    assert record.captured_at_raw == image["exif_datetime_original"]
    assert record.captured_offset == image["exif_offset_time_original"]
    assert record.captured_at_utc == image["capture_utc"]
    assert (record.tz, record.tz_assumed, record.flags) == (None, False, ())
    assert (record.make, record.model) == (image["make"], image["model"])
    assert record.user_comment == image.get("exif_user_comment")
    if image["platform"] == "android":
        assert record.app_guess == image["app"]
    else:  # iOS names no app: what the picture shows is not metadata
        assert record.app_guess is None


def test_case_alpha_ios_screenshot_reasons() -> None:
    record, _ = _evidence("screenshots/IMG_0412.PNG")
    assert record.screenshot_evidence == (
        "EXIF UserComment is 'Screenshot', as iOS writes in screenshots.",
        "XMP exif:UserComment is 'Screenshot', as iOS writes in screenshots.",
        "File name IMG_nnnn.PNG and size 1179x2556 match an iPhone/iPad screen.",
    )


def test_case_alpha_one_full_record() -> None:
    name = "screenshots/Screenshot_20240402-231512_Instagram.jpg"
    sha = next(f["sha256"] for f in TRUTH["files"] if f["path"] == name)
    records = extract_all(EXTRACTOR, source_from_file(EVIDENCE / name))
    assert records == [
        ImageMeta(
            locator=Locator(sha, str(EVIDENCE / name), None, 0, None),
            width=1080,
            height=2340,
            captured_at_raw="2024:04:02 23:15:12",
            captured_at_utc="2024-04-02T22:15:12Z",
            captured_offset="+01:00",
            tz=None,
            tz_assumed=False,
            flags=(),
            make="samsung",
            model="SM-S911B",
            software="S911BXXS3BXC2",
            gps_lat=None,
            gps_lon=None,
            screenshot=True,
            screenshot_evidence=(
                "File name has the Samsung screenshot form Screenshot_YYYYMMDD-HHMMSS_Instagram.",
            ),
            app_guess="Instagram",
            phash="bfc0ce3f0e12c23c",
            user_comment=None,
        )
    ]


def _case_hashes() -> list[tuple[str, str]]:
    hashes = []
    for folder in ("screenshots", "profiles"):
        for path in sorted((EVIDENCE / folder).iterdir()):
            record, warnings = _evidence(f"{folder}/{path.name}")
            assert warnings == [] and record.phash is not None
            hashes.append((f"{folder}/{path.name}", record.phash))
    return hashes


def test_case_alpha_near_duplicates_are_exactly_the_truth_pairs() -> None:
    """The WhatsApp copy pairs with its original; profile pictures pair within their groups."""
    expected = {frozenset(d["files"]) for d in TRUTH["duplicates"]}
    for group in TRUTH["profile_pictures"]:
        expected |= {frozenset(p) for p in itertools.combinations(group["files"], 2)}
    found = near_duplicates(_case_hashes(), max_distance=8)
    assert {frozenset((a, b)) for a, b, _ in found} == expected
    # Seen with ImageHash 4.3.2 / Pillow 13: copy 2 bits; same photo 0-6; others >= 12.
    assert max(d for _, _, d in found) <= 6


def test_case_alpha_images_sniffed_and_nothing_else() -> None:
    for path in sorted(EVIDENCE.rglob("*")):
        if path.is_file():
            is_image = path.suffix.lower() in (".jpg", ".png")  # also Telegram's photos/
            assert EXTRACTOR.sniff(source_from_file(path)) == is_image, path


# --- real-format samples (synthetic, FORMATS.md §10) ----------------------------------------


def test_sample_android_png_with_exif_chunk() -> None:
    record, warnings = _split(
        extract_all(EXTRACTOR, source_from_file(SAMPLES / "Screenshot_20240112-210533.png"))
    )
    assert warnings == []
    assert record.captured_at_raw == "2024:01:12 21:05:33"
    assert (record.captured_at_utc, record.captured_offset) == ("2024-01-12T21:05:33Z", "+00:00")
    assert record.software == "Android UQ1A.240205.004"
    assert (record.width, record.height) == (108, 234)
    assert record.screenshot and record.app_guess is None


def test_sample_ios_png_user_comment_needs_details() -> None:
    record, warnings = _split(extract_all(EXTRACTOR, source_from_file(SAMPLES / "IMG_0123.PNG")))
    assert warnings == []
    assert record.user_comment == "Screenshot"
    assert len(record.screenshot_evidence) == 2  # EXIF and XMP; 108x234 is no iPhone screen
    assert record.captured_at_utc is None and record.captured_at_raw is None


# --- times ----------------------------------------------------------------------------------


def test_exif_time_without_offset_is_local_and_flagged_in_dst_gap() -> None:
    record, warnings = _run(_jpeg(_exif({DTO: "2024:03:31 01:30:00"})), "photo.jpg")
    assert warnings == []
    assert record.captured_at_utc == "2024-03-31T01:30:00Z"
    assert (record.tz, record.tz_assumed) == ("Europe/London", True)
    assert record.flags == ("tz_assumed", "nonexistent_local_time")
    assert record.captured_offset is None


def test_exif_time_in_dst_overlap_is_flagged_ambiguous() -> None:
    ctx = Context(tz="Europe/London")
    record, _ = _run(_jpeg(_exif({DTO: "2024:10:27 01:30:00"})), "photo.jpg", ctx)
    assert record.captured_at_utc == "2024-10-27T00:30:00Z"
    assert record.flags == ("tz_assumed", "ambiguous_local_time")


def test_offset_time_applies_to_original_only_when_same_wall_time() -> None:
    same = _exif({DTO: "2024:06:01 10:00:00", OFFSET: "-04:00"}, datetime="2024:06:01 10:00:00")
    record, _ = _run(_jpeg(same), "a.jpg")
    assert (record.captured_at_utc, record.captured_offset) == ("2024-06-01T14:00:00Z", "-04:00")
    edited = _exif({DTO: "2024:06:01 10:00:00", OFFSET: "-04:00"}, datetime="2024:06:02 09:00:00")
    record, _ = _run(_jpeg(edited), "a.jpg")
    assert record.tz_assumed and record.captured_at_utc == "2024-06-01T09:00:00Z"


def test_datetime_is_the_fallback_with_its_own_offset() -> None:
    record, _ = _run(_jpeg(_exif({OFFSET: "+02:00"}, datetime="2024:06:01 10:00:00")), "a.jpg")
    assert record.captured_at_raw == "2024:06:01 10:00:00"
    assert (record.captured_at_utc, record.tz) == ("2024-06-01T08:00:00Z", None)


def test_bad_offset_and_unreadable_time_are_warned() -> None:
    record, warnings = _run(_jpeg(_exif({DTO: "2024:06:01 10:00:00", OFFSET_DTO: "+1"})), "a.jpg")
    assert warnings == [
        "offset '+1' of EXIF DateTimeOriginal is not ±HH:MM; the time is taken as local"
    ]
    assert record.tz_assumed and record.captured_at_utc == "2024-06-01T09:00:00Z"
    record, warnings = _run(_jpeg(_exif({DTO: "2024:13:45 10:00:00"})), "a.jpg")
    assert warnings == ["EXIF DateTimeOriginal '2024:13:45 10:00:00' is not a full date and time"]
    assert record.captured_at_raw == "2024:13:45 10:00:00" and record.captured_at_utc is None
    assert record.flags == ("time_unparsed",)


def test_blank_exif_date_means_not_stated() -> None:
    record, warnings = _run(_jpeg(_exif({DTO: "    :  :     :  :  "})), "a.jpg")
    assert warnings == [] and record.captured_at_raw is None


def test_file_name_time_used_when_no_exif_and_mismatch_warned() -> None:
    record, warnings = _run(_jpeg(), "Screenshot_2023-01-01-12-00-00-123_com.whatsapp.jpg")
    assert warnings == []
    assert record.captured_at_raw == "2023-01-01-12-00-00-123"
    assert record.captured_at_utc == "2023-01-01T12:00:00.123Z"
    assert (record.tz, record.flags) == ("Europe/London", ("tz_assumed",))
    assert record.app_guess == "WhatsApp" and record.screenshot
    exif = _exif({DTO: "2024:01:05 09:00:00", OFFSET_DTO: "+00:00"})
    record, warnings = _run(_jpeg(exif), "Screenshot_20240105-100000_Chrome.jpg")
    assert record.captured_at_utc == "2024-01-05T09:00:00Z"  # EXIF wins, the gap is shown
    assert warnings == [
        "the file name says 20240105-100000 but EXIF DateTimeOriginal says "
        "2024:01:05 09:00:00: renamed, or a different clock"
    ]


def test_xmp_and_png_creation_time() -> None:
    info = PngInfo()
    info.add_text("Creation Time", "Fri, 12 Jan 2024 21:05:33 +0100", zip=True)
    record, warnings = _run(_png(info), "shot.png")
    assert warnings == []
    assert (record.captured_at_utc, record.captured_offset) == ("2024-01-12T20:05:33Z", "+01:00")
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        'photoshop:DateCreated="2024-05-12T18:30:41.5Z" xmp:CreatorTool="Snip &amp; Sketch"/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp, zip=True)
    record, _ = _run(_png(info), "shot.png")
    assert record.captured_at_utc == "2024-05-12T18:30:41.500Z"
    assert record.software == "Snip & Sketch"


# --- device, GPS, comments ------------------------------------------------------------------


def _gps(lat: Any, lat_ref: str, lon: Any, lon_ref: str) -> dict[int, Any]:
    return {1: lat_ref, 2: lat, 3: lon_ref, 4: lon}


def test_gps_as_fixed_point_text_with_hemispheres() -> None:
    lat = (IFDRational(33), IFDRational(51), IFDRational(5436, 100))
    lon = (IFDRational(151), IFDRational(12), IFDRational(36))
    record, warnings = _run(_jpeg(_exif(gps=_gps(lat, "S", lon, "E"))), "p.jpg")
    assert warnings == []
    assert (record.gps_lat, record.gps_lon) == ("-33.865100", "151.210000")
    london = (IFDRational(51), IFDRational(30), IFDRational(0))
    west = (IFDRational(0), IFDRational(7), IFDRational(3960, 100))
    record, _ = _run(_jpeg(_exif(gps=_gps(london, "N", west, "W"))), "p.jpg")
    assert (record.gps_lat, record.gps_lon) == ("51.500000", "-0.127667")
    assert isinstance(record.gps_lat, str)


def test_gps_without_reference_or_with_zero_denominator_is_warned() -> None:
    lat = (IFDRational(51), IFDRational(30), IFDRational(0))
    gps = {2: lat, 3: "E", 4: (IFDRational(1), IFDRational(0, 0), IFDRational(0))}
    record, warnings = _run(_jpeg(_exif(gps=gps)), "p.jpg")
    assert (record.gps_lat, record.gps_lon) == (None, None)
    assert warnings == [
        "EXIF GPS latitude has reference '', not N or S: hemisphere unknown; not used",
        "EXIF GPS longitude has a zero or unreadable denominator; not used",
    ]


def test_make_model_software_and_unicode_user_comment() -> None:
    comment = b"UNICODE\x00" + "Capture d'écran".encode("utf-16-le")
    exif = _exif({USER_COMMENT: comment}, make="Apple", model="iPhone 15", software="17.4.1")
    record, warnings = _run(_jpeg(exif), "p.jpg")
    assert warnings == []
    assert (record.make, record.model, record.software) == ("Apple", "iPhone 15", "17.4.1")
    assert record.user_comment == "Capture d'écran" and not record.screenshot


def test_stated_size_differs_from_pixels_is_warned() -> None:
    exif = _exif({EXIF_WIDTH: 1080, EXIF_HEIGHT: 2340})
    record, warnings = _run(_jpeg(exif, size=(720, 1560)), "p.jpg")
    assert warnings == ["EXIF states 1080x2340 pixels but the image is 720x1560: re-encoded"]
    assert (record.width, record.height) == (720, 1560)


# --- file-name conventions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "screenshot", "app", "raw"),
    [
        ("Screenshot_20201215-090626.png", True, None, "20201215-090626"),
        ("Screenshot_20230101-120000_WhatsApp (1).png", True, "WhatsApp", "20230101-120000"),
        ("Screenshot_2016-01-01-12-00-00.png", True, None, "2016-01-01-12-00-00"),
        ("Screenshot_2023-01-01-12-00-00-123_org.example.app.png", True, "org.example.app", None),
        ("Screenshot 2024-01-12 at 9.05.33 PM.png", True, None, "2024-01-12 at 9.05.33PM"),
        ("IMG-20240403-WA0007.png", False, "WhatsApp", None),
        ("photo_1@13-04-2024_02-22-08.jpg", False, "Telegram", None),
        ("IMG_0412.PNG", False, None, None),  # 64x128 is no iPhone screen
        ("holiday.png", False, None, None),
    ],
)
def test_file_name_conventions(
    name: str, screenshot: bool, app: str | None, raw: str | None
) -> None:
    record, _ = _run(_png(), name)
    assert record.screenshot == screenshot and len(record.screenshot_evidence) == screenshot
    assert record.app_guess == app
    if raw is not None:
        assert record.captured_at_raw == raw and record.tz_assumed


def test_macos_twelve_hour_name_time() -> None:
    record, _ = _run(_png(), "Screenshot 2024-01-12 at 9.05.33 PM.png")
    assert record.captured_at_utc == "2024-01-12T21:05:33Z"


def test_whatsapp_name_date_is_not_a_capture_time() -> None:
    record, warnings = _run(_jpeg(), "IMG-20240403-WA0007.jpg")
    assert warnings == [] and record.captured_at_raw is None and not record.screenshot


def test_ios_png_at_screen_size_is_a_screenshot() -> None:
    record, _ = _run(_png(size=(750, 1334)), "IMG_0001.PNG")
    assert record.screenshot_evidence == (
        "File name IMG_nnnn.PNG and size 750x1334 match an iPhone/iPad screen.",
    )
    record, _ = _run(_jpeg(size=(750, 1334)), "IMG_0001.JPG")  # camera-style name and format
    assert not record.screenshot


# --- formats and sniffing -------------------------------------------------------------------


def test_webp_exif_chunk_read_despite_exifread_prefix_bug() -> None:
    out = io.BytesIO()
    exif = _exif({DTO: "2024:06:01 10:00:00", OFFSET_DTO: "+02:00"}, make="Google")
    _pixels((32, 32), 3).save(out, "WEBP", exif=exif)
    record, warnings = _run(out.getvalue(), "x.webp")
    assert warnings == []
    assert (record.captured_at_utc, record.make) == ("2024-06-01T08:00:00Z", "Google")
    assert record.phash is not None


def test_gif_has_size_and_hash() -> None:
    out = io.BytesIO()
    _pixels((40, 30), 4).save(out, "GIF")
    record, warnings = _run(out.getvalue(), "x.gif")
    assert warnings == [] and (record.width, record.height) == (40, 30) and record.phash


def test_heic_without_decoder_is_metadata_only_with_warning() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x08free" * 4
    source = source_from_bytes(heic, "IMG_5001.HEIC")
    assert source.mime == "image/heic" and EXTRACTOR.sniff(source)
    record, warnings = _split(extract_all(EXTRACTOR, source))
    assert (
        "Pillow cannot decode this HEIC (no HEIF decoder here): metadata only, no size or hash"
        in warnings
    )
    assert (record.width, record.phash) == (None, None)


@pytest.mark.parametrize(
    ("head", "mime", "expected"),
    [
        (b"\xff\xd8\xff\xe0", "application/octet-stream", True),
        (b"\x89PNG\r\n\x1a\n", "application/octet-stream", True),
        (b"GIF89a", "application/octet-stream", True),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "application/octet-stream", True),
        (b"\x00\x00\x00\x18ftypavif", "application/octet-stream", True),
        (b"", "image/jpeg", True),
        (b"hello", "text/plain", False),
        (b"PK\x03\x04", "application/zip", False),
        (b"RIFF\x00\x00\x00\x00WAVE", "audio/x-wav", False),
    ],
)
def test_sniff(head: bytes, mime: str, expected: bool) -> None:
    source = Source("0" * 64, "f", "f", mime, len(head), head, lambda: io.BytesIO(head))
    assert EXTRACTOR.sniff(source) is expected


def test_registered_and_matching() -> None:
    source = source_from_file(SAMPLES / "IMG_0123.PNG")
    assert EXTRACTOR.name in [e.name for e in registry.matching(source)]
    assert registry.label(EXTRACTOR) == "image_meta@1.1"


def test_extension_disagreeing_with_content_is_warned() -> None:
    _, warnings = _run(_png(), "photo.jpg")
    assert warnings == ["the file name says JPEG but the content is PNG"]


def test_non_seekable_source_gives_the_same_record() -> None:
    data = _png(size=(50, 50))

    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    plain = source_from_bytes(data, "a.png")
    assert not Stream().seekable()

    def opener() -> BinaryIO:
        return cast(BinaryIO, Stream())

    streamed = Source(plain.sha256, "a.png", "a.png", "image/png", len(data), data, opener)
    assert extract_all(EXTRACTOR, streamed) == extract_all(EXTRACTOR, plain)


# --- PNG chunks -----------------------------------------------------------------------------


def test_text_chunks_after_pixel_data_and_their_encodings() -> None:
    xmp = "<x:xmpmeta><exif:UserComment><rdf:Alt><rdf:li>Screenshot</rdf:li></rdf:Alt></exif:UserComment></x:xmpmeta>"  # noqa: E501
    png = _before_iend(
        _png(),
        _chunk(b"tEXt", b"Software\x00Greenshot \xa9"),  # Latin-1 by definition
        _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp.encode()),
    )
    record, warnings = _run(png, "a.png")
    assert warnings == []
    assert record.software == "Greenshot ©"
    assert record.user_comment == "Screenshot"
    assert record.screenshot_evidence == (
        "XMP exif:UserComment is 'Screenshot', as iOS writes in screenshots.",
    )


def test_damaged_chunks_are_warned_and_skipped() -> None:
    bad_crc = bytearray(_chunk(b"tEXt", b"Software\x00Tampered"))
    bad_crc[-1] ^= 0xFF
    png = _before_iend(
        _png(),
        bytes(bad_crc),
        _chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00\xff\xfe bad utf-8"),
        _chunk(b"zTXt", b"Comment\x00\x00not deflate"),
        _chunk(b"tEXt", b"no keyword separator"),
    )
    record, warnings = _run(png, "a.png")
    assert warnings == [
        "tEXt chunk fails its CRC (damaged); skipped",
        "iTXt chunk is not valid UTF-8; skipped",
        "zTXt chunk does not inflate; skipped",
        "tEXt chunk has no keyword; skipped",
    ]
    assert record.software is None and record.phash is not None


def test_very_long_text_chunk_and_inflation_bomb_skipped() -> None:
    """~20 MB in one tEXt chunk (the brief's 'very long line', 200 MB would slow the suite)
    and a zTXt chunk inflating to 20 MB: both skipped with warnings, memory stays bounded."""
    long_text = _chunk(b"tEXt", b"Comment\x00" + b"A" * (20 << 20))
    bomb = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * (20 << 20), 9))
    record, warnings = _run(_before_iend(_png(), long_text, bomb), "a.png")
    assert warnings[:2] == [
        f"tEXt chunk of {(20 << 20) + 8} bytes skipped",
        "zTXt chunk inflates past 1048576 bytes; skipped",
    ]
    # Pillow, finishing the PNG after the pixels, refuses the same chunk: no hash, and it says so
    assert warnings[2:] == [
        "pixels unreadable (ValueError: Decompressed data too large for "
        "PngImagePlugin.MAX_TEXT_CHUNK): no perceptual hash"
    ]
    assert (record.width, record.height) == (64, 128)
    record, warnings = _run(_before_iend(_png(), long_text), "a.png")
    assert len(warnings) == 1 and record.phash is not None


# --- bad input ------------------------------------------------------------------------------


def test_truncated_jpeg_keeps_exif_and_warns_about_pixels() -> None:
    exif = _exif({DTO: "2024:06:01 10:00:00", OFFSET_DTO: "+01:00"}, make="samsung")
    data = _jpeg(exif, size=(400, 400))
    record, warnings = _run(data[: len(data) // 2], "Screenshot_20240601-100000_Chrome.jpg")
    assert len(warnings) == 1 and warnings[0].startswith(
        "pixels unreadable (OSError: image file is truncated"
    )
    assert (record.width, record.height, record.phash) == (400, 400, None)
    assert record.captured_at_utc == "2024-06-01T09:00:00Z" and record.make == "samsung"


def test_truncated_png_warns() -> None:
    data = _png(size=(300, 300))
    record, warnings = _run(data[: len(data) - 40], "a.png")
    assert "PNG ends without an IEND chunk (truncated)" in warnings
    assert any(w.startswith("pixels unreadable") for w in warnings)
    assert (record.width, record.phash) == (300, None)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_unknown_layout_after_a_valid_signature() -> None:
    record, warnings = _run(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x05!!!!garbage" * 3, "a.png")
    assert warnings[0] == "not a PNG chunk here; chunk walk stopped"
    assert warnings[-1].startswith("image header unreadable") or "cannot decode" in warnings[-1]
    record, warnings = _run(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*junk", "a.jpg")
    assert warnings and record.width is None


def test_hostile_maker_note_count_does_not_hang() -> None:
    """A forged MakerNote count of ~2**32 makes exifread (details=True) loop; the read budget
    stops it and the EXIF is read again without details, so the capture time survives."""
    exif = _exif({DTO: "2024:06:01 10:00:00", 0x927C: b"ABCDEFGHIJ"}, make="Google")
    data = bytearray(_jpeg(exif))
    entry = data.index(b"\x92\x7c", data.index(b"Exif\x00\x00"))
    data[entry + 4 : entry + 8] = b"\xff\xff\xff\xf0"
    record, warnings = _run(bytes(data), "a.jpg")
    assert warnings == [
        "EXIF unreadable (_RunawayExif: kept reading past the end of the file); "
        "read again without maker note and UserComment"
    ]
    assert record.captured_at_raw == "2024:06:01 10:00:00" and record.make == "Google"


def test_decompression_bomb_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.warns(Image.DecompressionBombWarning):
        record, warnings = _run(_png(size=(40, 40)), "a.png")  # over the limit: no decode
    assert warnings == ["40x40 pixels exceed the decode limit 1000: no hash"]
    assert (record.width, record.phash) == (40, None)
    record, warnings = _run(_png(size=(50, 50)), "a.png")  # over twice the limit: not opened
    assert len(warnings) == 1 and warnings[0].startswith("too many pixels to open safely")
    assert record.width is None


def test_wrong_encoding_exif_text_kept_as_latin1() -> None:
    data = bytearray(_jpeg(_exif(make="XXXXXX")))
    at = data.index(b"XXXXXX")
    data[at : at + 6] = b"Sony\xe9\xff"
    record, _ = _run(bytes(data), "a.jpg")
    assert record.make == "Sonyéÿ"


def test_cancellation() -> None:
    ctx = Context(cancelled=lambda: True)
    with pytest.raises(ExtractionCancelled, match="cancelled"):
        _run(_png(), "a.png", ctx)


def test_warning_and_record_counts_and_locators() -> None:
    damaged = bytearray(_chunk(b"tEXt", b"Title\x00x"))
    damaged[-1] ^= 1
    source = source_from_bytes(_before_iend(_png(), bytes(damaged)), "a.png")
    records = extract_all(EXTRACTOR, source)
    assert [type(r).__name__ for r in records] == ["ExtractWarning", "ImageMeta"]
    assert records[0].locator.offset is not None and records[0].locator.offset > 8
    assert records[1].locator == Locator(source.sha256, "a.png", None, 0, None)


def test_deterministic() -> None:
    for path in [SAMPLES / "IMG_0123.PNG", EVIDENCE / "screenshots" / "IMG_0412.PNG"]:
        source = source_from_file(path)
        assert extract_all(EXTRACTOR, source) == extract_all(EXTRACTOR, source)


_VALID = [
    (SAMPLES / "IMG_0123.PNG").read_bytes(),
    (SAMPLES / "Screenshot_20240112-210533.png").read_bytes(),
    _jpeg(
        _exif(
            {
                DTO: "2024:06:01 10:00:00",
                OFFSET_DTO: "+01:00",
                USER_COMMENT: b"ASCII\x00\x00\x00Screenshot",
            },
            gps=_gps((IFDRational(1), IFDRational(2), IFDRational(3)), "N", (IFDRational(4),), "W"),
            make="x",
        ),
        size=(24, 24),
    ),
]


def _small_webp_and_gif() -> list[bytes]:
    webp, gif = io.BytesIO(), io.BytesIO()
    exif = _exif({DTO: "2024:06:01 10:00:00"}, make="y")
    _pixels((16, 16), 5).save(webp, "WEBP", exif=exif)
    _pixels((16, 16), 6).save(gif, "GIF")
    return [webp.getvalue(), gif.getvalue()]


_VALID += _small_webp_and_gif()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::PIL.Image.DecompressionBombWarning")
def test_mutated_and_random_inputs_only_give_records_or_warnings(data: st.DataObject) -> None:
    sample = bytearray(data.draw(st.sampled_from(_VALID)))
    for _ in range(data.draw(st.integers(0, 6))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = data.draw(st.integers(0, max(len(sample) - 1, 0)))
        if op == "flip" and sample:
            sample[at] ^= data.draw(st.integers(1, 255))
        elif op == "delete":
            del sample[at : at + data.draw(st.integers(1, 16))]
        elif op == "insert":
            sample[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        else:
            del sample[at:]
    if data.draw(st.booleans()):
        sample = bytearray(sample[:8]) + data.draw(st.binary(max_size=300))
    name = data.draw(st.sampled_from(["a.png", "Screenshot_20240101-000000_X.jpg", "IMG_0001.PNG"]))
    record, _ = _split(extract_all(EXTRACTOR, source_from_bytes(bytes(sample), name)))
    assert record.phash is None or len(record.phash) == 16


# --- near_duplicates ------------------------------------------------------------------------


def _brute_force(items: list[tuple[str, str]], k: int) -> list[tuple[str, str, int]]:
    pairs = []
    for (a, x), (b, y) in itertools.combinations(sorted(items), 2):
        d = (int(x, 16) ^ int(y, 16)).bit_count()
        if d <= k and a != b:
            pairs.append((a, b, d))
    return sorted(pairs, key=lambda p: (p[2], p[0], p[1]))


@settings(max_examples=100, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=12),
    flips=st.lists(st.lists(st.integers(0, 63), max_size=12), max_size=40),
    k=st.integers(0, 16),
)
def test_near_duplicates_equals_brute_force(
    seeds: list[int], flips: list[list[int]], k: int
) -> None:
    values = list(seeds)
    for index, bits in enumerate(flips):  # variants of the seeds, some near, some far
        if seeds:
            value = seeds[index % len(seeds)]
            for bit in bits:
                value ^= 1 << bit
            values.append(value)
    items = [(f"item{i:03d}", f"{v:016x}") for i, v in enumerate(values)]
    assert near_duplicates(items, k) == _brute_force(items, k)  # few: all pairs in Python
    saved = _phash_neighbours._ALL_PAIRS_UP_TO
    _phash_neighbours._ALL_PAIRS_UP_TO = 0  # the banded numpy comparison of many hashes
    try:
        assert near_duplicates(items, k) == _brute_force(items, k)
    finally:
        _phash_neighbours._ALL_PAIRS_UP_TO = saved


def test_near_duplicates_output_and_errors() -> None:
    items = [("b", "ffffffffffffffff"), ("a", "fffffffffffffff0"), ("c", "0000000000000000")]
    assert near_duplicates(items, 8) == [("a", "b", 4)]
    assert near_duplicates(items, 3) == []
    assert near_duplicates([("a", "00" * 8), ("a", "00" * 8)]) == []  # same item twice
    with pytest.raises(ValueError, match="'x' is not 16 hex digits"):
        near_duplicates([("x", "abc")])
    with pytest.raises(ValueError, match=r"max_distance must be 0\.\.63"):
        near_duplicates([], 64)


def test_near_duplicates_compares_only_band_sharing_pairs() -> None:
    rng = random.Random(7)
    values = np.array([rng.getrandbits(64) for _ in range(2000)], dtype=np.uint64)
    all_pairs = len(values) * (len(values) - 1) // 2
    compared = sum(len(b) * (len(b) - 1) // 2 for b in _buckets(values, 8))
    assert compared < all_pairs // 10  # 9 bands of 7 bits: about 9/128 of all pairs


def test_near_duplicates_scales_past_all_pairs() -> None:
    """20,000 random hashes plus 50 planted near copies: exactly the planted pairs come out
    (all-pairs in Python would be 200 million comparisons)."""
    rng = random.Random(11)
    items = [(f"i{n:05d}", f"{rng.getrandbits(64):016x}") for n in range(20_000)]
    planted = []
    for n, (item_id, phash) in enumerate(items[:50]):
        near = int(phash, 16) ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(32, 64))
        items.append((f"n{n:05d}", f"{near:016x}"))
        planted.append(frozenset((item_id, f"n{n:05d}")))
    assert {frozenset(p[:2]) for p in near_duplicates(items, 4)} == set(planted)


def test_png_text_saying_screenshot_is_a_reason() -> None:
    info = PngInfo()
    info.add_text("Comment", "UserComment: Screenshot")
    record, warnings = _run(_png(info), "export.png")
    assert warnings == []
    assert record.screenshot_evidence == ("PNG text 'Comment' says 'UserComment: Screenshot'.",)


def test_pipeline_stores_image_records(case: Case, signer: Signer, tmp_path: Path) -> None:
    """Ingest the case screenshots: one stored row per image, lists as JSON, hash indexed."""
    folder = tmp_path / "screenshots"
    shutil.copytree(EVIDENCE / "screenshots", folder)
    ingest_paths(case, signer, [folder])
    table = ImageMetaRecord.__table__  # type: ignore[attr-defined]
    with case.engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.loc_path)).mappings().all()
    assert [Path(r["loc_path"]).name for r in rows] == sorted(p.name for p in folder.iterdir())
    ios = next(r for r in rows if r["loc_path"].endswith("IMG_0412.PNG"))
    assert ios["captured_at_utc"] == "2024-05-12T17:30:41Z" and ios["phash"] == "9f33871b97338318"
    assert len(json.loads(ios["screenshot_evidence"])) == 3


def test_whatsapp_zip_media_member() -> None:
    source = source_from_zip_member(
        EVIDENCE / "WhatsApp Chat with Dan.zip", "IMG-20240302-WA0002.jpg"
    )
    record, warnings = _split(extract_all(EXTRACTOR, source))
    assert warnings == [] and record.app_guess == "WhatsApp" and not record.screenshot
    assert record.phash is not None and record.locator.path.endswith("!/IMG-20240302-WA0002.jpg")


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_large_jpeg_hashes_at_reduced_scale_like_a_full_decode(seed: int) -> None:
    # A 12-megapixel photo's pixels are decoded at 1/8 scale for the hash (1.1); the hash
    # must still be the full picture's, or near-duplicates across versions would be lost.
    import imagehash

    data = _jpeg(size=(4032, 3024), seed=seed)
    meta, warnings = _run(data, "IMG_4032.jpg")
    assert warnings == [] and (meta.width, meta.height) == (4032, 3024)
    full = imagehash.phash(Image.open(io.BytesIO(data)))
    assert meta.phash is not None
    assert imagehash.hex_to_hash(meta.phash) - full <= 2, (meta.phash, str(full))
