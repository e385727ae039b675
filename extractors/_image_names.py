"""File-name conventions of screenshots and saved images, and the screenshot evidence.

FORMATS.md §10: Android/OEM/macOS screenshot names carry a local time (and MIUI the app's
package); an iOS screenshot is only an IMG_nnnn.PNG of a native screen size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from extractors._image_facts import Capture, Found, xmp_value

# Native screen sizes (portrait, pixels) of iPhones and iPads: a PNG named IMG_1234 of exactly
# one of these sizes is what iOS saves for a screenshot (camera photos are HEIC/JPEG, 4:3).
_IOS_SCREENS = {
    (640, 960), (640, 1136), (750, 1334), (1242, 2208), (1125, 2436), (828, 1792),
    (1242, 2688), (1080, 2340), (1170, 2532), (1284, 2778), (1179, 2556), (1290, 2796),
    (1206, 2622), (1320, 2868), (1536, 2048), (1620, 2160), (1668, 2224), (1668, 2388),
    (1640, 2360), (1488, 2266), (2048, 2732), (2064, 2752),
}  # fmt: skip
# Package names MIUI appends to screenshot names, as the app a user would name.
_PACKAGE_APPS = {
    "com.whatsapp": "WhatsApp",
    "com.whatsapp.w4b": "WhatsApp Business",
    "com.instagram.android": "Instagram",
    "com.facebook.orca": "Messenger",
    "com.facebook.katana": "Facebook",
    "org.telegram.messenger": "Telegram",
    "com.snapchat.android": "Snapchat",
    "com.twitter.android": "X (Twitter)",
    "com.discord": "Discord",
    "com.google.android.apps.messaging": "Messages",
    "com.android.mms": "Messages",
    "com.samsung.android.messaging": "Messages",
}

_DUP = r"(?:\s?\(\d+\))?"  # " (1)" added by a copy
_EXT = r"\.(?:png|jpe?g|webp)$"
_NAME_SAMSUNG = re.compile(rf"^Screenshot_(\d{{8}}-\d{{6}})(?:_(.+?))?{_DUP}{_EXT}", re.I)
_NAME_MIUI = re.compile(
    rf"^Screenshot_(\d{{4}}(?:-\d\d){{5}})(?:-(\d{{3}}))?(?:_(.+?))?{_DUP}{_EXT}", re.I
)
_NAME_MACOS = re.compile(
    r"^Screen ?shot (\d{4}-\d\d-\d\d at \d{1,2}\.\d\d\.\d\d(?:\s?[AP]M)?)" + _DUP + r"\.png$", re.I
)
_NAME_WHATSAPP = re.compile(r"^IMG-(\d{8})-WA\d{4,}" + _DUP + r"\.(?:jpe?g|png|webp)$", re.I)
_NAME_TELEGRAM = re.compile(r"^photo_\d+@\d\d-\d\d-\d{4}_\d\d-\d\d-\d\d" + _DUP + r"\.jpe?g$", re.I)
_NAME_IOS = re.compile(r"^IMG_\d{4}" + _DUP + r"\.png$", re.I)
_SAYS_SCREENSHOT = re.compile(r"(?:(?:exif:)?UserComment\s*[:=]\s*)?Screenshot", re.I)


@dataclass(frozen=True)
class NameFacts:
    """What a file-name convention says (FORMATS.md §10)."""

    evidence: str | None = None  # a screenshot reason
    app: str | None = None
    capture: Capture | None = None
    ios_candidate: bool = False  # IMG_1234.PNG: a screenshot only at an iOS screen size


def name_facts(name: str, fmt: str | None) -> NameFacts:
    """Screenshot evidence, app and local time from Android/OEM/iOS/macOS naming conventions."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if m := _NAME_SAMSUNG.match(base):
        capture = _name_capture(m[1], "%Y%m%d-%H%M%S")
        if m[2]:
            reason = f"File name has the Samsung screenshot form Screenshot_YYYYMMDD-HHMMSS_{m[2]}."
            return NameFacts(reason, m[2], capture)
        form = "Android screenshot form Screenshot_YYYYMMDD-HHMMSS"
        return NameFacts(f"File name has the {form}.", None, capture)
    if m := _NAME_MIUI.match(base):
        raw = m[1] + (f"-{m[2]}" if m[2] else "")
        capture = _name_capture(raw, "%Y-%m-%d-%H-%M-%S" + ("-%f" if m[2] else ""))
        if m[2] or m[3]:
            form = "Xiaomi (MIUI) screenshot form Screenshot_YYYY-MM-DD-HH-MM-SS-mmm_<package>"
            app = _PACKAGE_APPS.get(m[3], m[3]) if m[3] else None
            return NameFacts(f"File name has the {form}.", app, capture)
        form = "older Android screenshot form Screenshot_YYYY-MM-DD-HH-MM-SS"
        return NameFacts(f"File name has the {form}.", None, capture)
    if m := _NAME_MACOS.match(base):
        fmt12 = "%Y-%m-%d at %I.%M.%S%p" if m[1][-1] in "Mm" else "%Y-%m-%d at %H.%M.%S"
        capture = _name_capture(m[1].replace(" AM", "AM").replace(" PM", "PM"), fmt12)
        return NameFacts("File name has the macOS screenshot form.", None, capture)
    if _NAME_WHATSAPP.match(base):
        # The date is when WhatsApp saved a received image, not a capture time: not used.
        return NameFacts(None, "WhatsApp")
    if _NAME_TELEGRAM.match(base):
        # Telegram Desktop export: the name carries the message time, not a capture time.
        return NameFacts(None, "Telegram")
    if _NAME_IOS.match(base) and fmt == "png":
        return NameFacts(ios_candidate=True)
    return NameFacts()


def _name_capture(raw: str, fmt: str) -> Capture:
    try:
        return Capture(raw, "the file name", datetime.strptime(raw, fmt))
    except ValueError:
        return Capture(raw, "the file name", None)


def screenshot_reasons(found: Found, facts: NameFacts) -> list[str]:
    """Why the image is thought to be a screenshot, one short sentence each."""
    reasons = []
    if (found.user_comment or "").lower() == "screenshot":
        reasons.append("EXIF UserComment is 'Screenshot', as iOS writes in screenshots.")
    xmp_comment = xmp_value(found.xmp, "exif:UserComment") if found.xmp else None
    if (xmp_comment or "").lower() == "screenshot":
        reasons.append("XMP exif:UserComment is 'Screenshot', as iOS writes in screenshots.")
    for keyword, text in found.png_text.items():
        if keyword != "XML:com.adobe.xmp" and _SAYS_SCREENSHOT.fullmatch(text.strip()):
            reasons.append(f"PNG text {keyword!r} says {text.strip()!r}.")
    if facts.evidence:
        reasons.append(facts.evidence)
    size = (found.width, found.height)
    if facts.ios_candidate and (size in _IOS_SCREENS or size[::-1] in _IOS_SCREENS):
        reasons.append(
            f"File name IMG_nnnn.PNG and size {size[0]}x{size[1]} match an iPhone/iPad screen."
        )
    return reasons
