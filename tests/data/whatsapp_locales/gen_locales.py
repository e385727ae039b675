"""Write the WhatsApp locale fixtures of issue 16 §4 (synthetic, written for issue 16).

Run: python tests/data/whatsapp_locales/gen_locales.py (rewrites the .txt files beside it).
The line shapes follow WhatsApp's localised exports as other parsers' fixtures show them
(README.md); names, numbers and texts are invented.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
LRM, RLM, NBSP = "\u200e", "\u200f", "\u00a0"
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def arabic_ios(digits: dict[int, int]) -> str:
    """iOS set to Arabic: Arabic-Indic digits, U+200F after each date field, Arabic comma,
    ص/م for am/pm, Arabic markers."""

    def stamp(d: int, mo: int, y: int, h: int, mi: int, s: int) -> str:
        ap = "م" if h >= 12 else "ص"
        h12 = h % 12 or 12
        text = f"{d}{RLM}/{mo}{RLM}/{y}، {h12}:{mi:02}:{s:02}{NBSP}{ap}"
        return f"[{text.translate(digits)}]"

    return "\n".join(
        [
            f"{stamp(27, 3, 2022, 21, 41, 35)} سارة: مرحبا",
            f"{stamp(27, 3, 2022, 21, 41, 55)} سارة: {LRM}لم يتم إدراج الصورة",
            f"{stamp(27, 3, 2022, 21, 54, 45)} كريم: {LRM}تم حذف هذه الرسالة.",
            f"{stamp(28, 3, 2022, 9, 5, 0)} كريم: صباح الخير",
            "",
        ]
    )


FILES = {
    # Android, two-digit year first (yy-mm-dd): only YMD has the dates run forward.
    "WhatsApp Chat with John.txt": "\n".join(
        [
            "19-09-05, 03:50 - John: first",
            "19-09-13, 10:00 - Mary: second",
            "19-10-02, 08:15 - John: third",
            "",
        ]
    ),
    # iOS in Vietnamese: time before date, M/D/YY, Vietnamese markers.
    "ios_vietnamese__chat.txt": "\n".join(
        [
            "[21:41:35, 3/27/22] Minh: Xin chào",
            "[21:41:55, 3/27/22] Minh: đã bỏ qua hình ảnh",
            "[21:44:16, 3/27/22] Minh: đã bỏ video",
            "[21:50:25, 3/27/22] Minh: Hop-dong.pdf • 2 trang đã bỏ qua tài liệu",
            "[21:54:45, 3/27/22] Lan: Tin nhắn này đã bị xóa.",
            "[21:56:46, 3/27/22] Lan: Vị trí: https://maps.google.com/?q=21.0285,105.8542",
            "[08:00:00, 4/2/22] Lan: Hẹn gặp lại",
            "",
        ]
    ),
    # iOS on the Buddhist calendar (2565 BE = 2022 CE).
    "ios_buddhist__chat.txt": "\n".join(
        [
            "[3/27/2565 BE, 21:41:35] Somchai: Hello",
            "[3/27/2565 BE, 21:46:03] Somchai: Lumphini Park (Bangkok, Thailand): "
            "https://foursquare.com/v/4b0587f1f964a520b3a422e3",
            "[1/12/2566 BE, 02:05:44] Niran: ไม่มีรูปภาพ",
            "",
        ]
    ),
    # iOS on the Japanese calendar: Heisei 31 ended on 30 April 2019, Reiwa 1 began on 1 May.
    "ios_japanese_era__chat.txt": "\n".join(
        [
            "[4/30/H31, 23:59:00] Haruto: 平成最後",
            "[5/1/R1, 00:00:10] Yui: 令和最初",
            "[3/27/R4, 21:41:55] Yui: 画像は含まれていません",
            "[3/27/R4, 21:50:43] Yui: 計画.docx ドキュメントは含まれていません",
            "",
        ]
    ),
    # Android in Spanish, German, Portuguese, Russian: <Media omitted>, deletions, locations.
    "android_markers__chat.txt": "\n".join(
        [
            "27/03/2022, 21:41 - Ana: <Multimedia omitido>",
            "27/03/2022, 21:42 - Ana: Se eliminó este mensaje",
            "27/03/2022, 21:43 - Jonas: <Medien ausgeschlossen>",
            "27/03/2022, 21:44 - Jonas: Diese Nachricht wurde gelöscht",
            "27/03/2022, 21:45 - Joana: <Mídia omitida>",
            "27/03/2022, 21:46 - Ivan: <Без медиафайлов>",
            "27/03/2022, 21:47 - Ivan: Вы удалили данное сообщение",
            "27/03/2022, 21:48 - Ana: ubicación: https://maps.google.com/?q=40.4168,-3.7038",
            "27/03/2022, 21:49 - Ana: Plaza Mayor",
            "location: https://maps.google.com/?q=40.4155,-3.7074",
            "27/03/2022, 21:50 - Jonas: Live-Standort wird geteilt",
            "27/03/2022, 21:51 - Jonas: null",
            "",
        ]
    ),
    # iOS in English: "document omitted" with and without a name, a venue.
    "ios_english_markers__chat.txt": "\n".join(
        [
            f"[27/03/2022, 21:50:09] Sam: {LRM}Notes.txt document omitted",
            f"[27/03/2022, 21:50:25] Sam: {LRM}Plan.pdf • 2 pages document omitted",
            f"[27/03/2022, 21:50:43] Sam: {LRM}document omitted",
            "[27/03/2022, 21:56:46] Sam: Hyde Park (London, United Kingdom): "
            "https://foursquare.com/v/4ac518cdf964a520e6a520e3",
            "[28/03/2022, 09:00:00] Sam: Location: https://maps.google.com/?q=51.5073,-0.1657",
            "",
        ]
    ),
    # A header-looking line that does not parse, in the middle of a chat.
    "unparsed_header__chat.txt": "\n".join(
        [
            "12/01/2024, 21:05 - Alex: one",
            "12/01/2024, 21:06 Alex: two (no dash: not a header of this file)",
            "13/01/2024, 21:07 - Alex: three",
            "",
        ]
    ),
}
FILES["ios_arabic__chat.txt"] = arabic_ios(ARABIC)
FILES["ios_persian_digits__chat.txt"] = arabic_ios(PERSIAN)


def main() -> None:
    for name, text in FILES.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
