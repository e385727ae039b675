"""WhatsApp's export markers in the languages it ships, as data (FORMATS.md §1).

One table per marker, one row per language. The wording is WhatsApp's own: its iOS
``Localizable.strings`` (image/video/audio/sticker/GIF/contact card/document omitted,
deleted messages) and Android ``strings.xml`` (``export_media_omitted``,
``email_location_message``, ``email_live_location_message``), as collected in the
starkdmi/whats_json parser's patterns (iOS 22.24.81, Android 2.8.4278) and seen in its
localised fixtures (vi, th, ja-era and Buddhist iOS exports). Rows marked "unverified"
come from memory or one secondary source: keep them, but do not rely on them alone.
Matching is on the whole body, case-folded, without U+200E/U+200F, surrounding ``< >``
and a final full stop (iOS adds one).
"""

from __future__ import annotations

# language -> iOS "image omitted" and its siblings (a body on its own)
IMAGE_OMITTED = {
    "en": ("image omitted",),
    "es": ("imagen omitida",),
    "pt": ("imagem não revelada", "imagem ocultada"),  # pt-PT, pt-BR
    "fr": ("image absente",),
    "de": ("Bild weggelassen",),
    "it": ("immagine omessa",),
    "nl": ("afbeelding weggelaten",),
    "tr": ("görüntü dahil edilmedi",),
    "ru": ("изображение отсутствует",),
    "uk": ("зображення відсутнє",),
    "ar": ("لم يتم إدراج الصورة",),
    "id": ("gambar tidak disertakan",),
    "ms": ("imej tidak dimasukkan",),
    "hi": ("फ़ोटो हटाई गई",),
    "vi": ("đã bỏ qua hình ảnh",),
    "ja": ("画像は含まれていません",),
    "zh": ("圖片已略去", "圖像已省略", "照片已忽略"),  # zh-HK, zh-TW, zh-CN
    "th": ("ไม่มีรูปภาพ",),
    "pl": ("obraz pominięty",),
    "sv": ("bild utesluten",),
    "he": ("התמונה הושמטה",),
    "ko": ("이미지 생략됨",),
}
VIDEO_OMITTED = {
    "en": ("video omitted", "video note omitted"),
    "es": ("video omitido",),
    "pt": ("vídeo não revelado", "vídeo omitido"),
    "fr": ("vidéo absente",),
    "de": ("Video weggelassen",),
    "it": ("video omesso",),
    "nl": ("video weggelaten",),
    "tr": ("video dahil edilmedi",),
    "ru": ("видео отсутствует",),
    "uk": ("відео відсутнє",),
    "ar": ("لم يتم إدراج الفيديوهات",),
    "id": ("video tidak disertakan",),
    "ms": ("video tidak dimasukkan",),
    "hi": ("वीडियो छोड़ा गया",),
    "vi": ("đã bỏ video",),
    "ja": ("ビデオは含まれていません",),
    "zh": ("影片已略去", "影片已省略", "视频已忽略"),
    "th": ("วิดีโอถูกลบ",),
    "pl": ("wideo pominięte",),
    "sv": ("video utesluten",),
    "he": ("סרטון הווידאו הושמט",),
    "ko": ("비디오 생략됨",),
}
AUDIO_OMITTED = {
    "en": ("audio omitted",),
    "es": ("audio omitido",),
    "pt": ("ficheiro de áudio não revelado", "áudio ocultado"),
    "fr": ("audio omis",),
    "de": ("Audio weggelassen",),
    "it": ("audio omesso",),
    "nl": ("audio weggelaten",),
    "tr": ("ses dahil edilmedi",),
    "ru": ("аудиофайл отсутствует",),
    "uk": ("аудіо відсутнє",),
    "ar": ("لم يتم إدراج المقاطع الصوتية",),
    "id": ("audio tidak disertakan",),
    "ms": ("audio tidak dimasukkan",),
    "hi": ("ऑडियो हटाई गयी",),
    "vi": ("bỏ qua tệp âm thanh",),
    "ja": ("音声は含まれていません",),
    "zh": ("音訊已略去", "音訊已省略", "音频已忽略"),
    "th": ("ไม่มีไฟล์เสียง",),
    "pl": ("audio pominięte",),
    "he": ("קטע קול הושמט",),
    "ko": ("오디오 생략됨",),
}
STICKER_OMITTED = {
    "en": ("sticker omitted",),
    "es": ("sticker omitido",),
    "pt": ("sticker não revelado", "figurinha omitida"),
    "fr": ("sticker omis",),
    "de": ("Sticker weggelassen",),
    "it": ("sticker non incluso",),
    "nl": ("sticker weggelaten",),
    "tr": ("Çıkartma dahil edilmedi",),
    "ru": ("стикер не добавлен",),
    "uk": ("Наклейку не додано",),
    "ar": ("تم حذف الملصقات",),
    "id": ("stiker tidak disertakan",),
    "ms": ("pelekat tidak disertakan",),
    "hi": ("स्टिकर छोड़ा गया",),
    "vi": ("đã bỏ sticker",),
    "ja": ("スタンプは含まれていません",),
    "zh": ("貼圖已略去", "貼圖已忽略", "贴图已省略"),
    "th": ("ไม่มีสติกเกอร์",),
    "pl": ("pominięto naklejkę",),
    "ko": ("스티커 제외됨",),
}
GIF_OMITTED = {
    "en": ("GIF omitted",),
    "es": ("GIF omitido",),
    "pt": ("GIF não revelada",),  # pt-BR: "GIF omitido", as es
    "fr": ("GIF retiré",),
    "de": ("GIF weggelassen",),
    "it": ("GIF esclusa",),
    "nl": ("GIF weggelaten",),
    "tr": ("GIF dahil edilmedi",),
    "ru": ("GIF отсутствует",),
    "uk": ("GIF-анімацію пропущено",),
    "ar": ("لم يتم إدراج صورة GIF",),
    "id": ("GIF tidak disertakan",),
    "ms": ("GIF tidak dimasukkan",),
    "hi": ("GIF छोड़ा गया",),
    "vi": ("Đã bỏ qua ảnh GIF",),
    "ja": ("GIFは含まれていません",),
    "zh": ("GIF 已略去", "GIF 圖片已被省略", "GIF 动态图已被忽略"),
    "th": ("ละเว้น GIF",),
    "pl": ("Plik GIF pominięty",),
    "ko": ("GIF 생략됨",),
}
CONTACT_OMITTED = {
    "en": ("Contact card omitted",),
    "es": ("Tarjeta de contacto omitida",),
    "pt": ("Contacto não revelado", "Cartão do contato omitido"),
    "fr": ("Fiche contact manquante",),
    "de": ("Kontaktkarte ausgelassen",),
    "it": ("Scheda contatto omessa",),
    "nl": ("Visitekaartje weggelaten",),
    "tr": ("Kişi kartı dahil edilmedi",),
    "ru": ("Карточка контакта отсутствует",),
    "uk": ("Картка контакту відсутня",),
    "ar": ("لم يتم إدراج بطاقة جهة اتصال",),
    "id": ("Kartu kontak tidak disertakan",),
    "ms": ("Kad kenalan tidak dimasukkan",),
    "hi": ("कॉन्टैक्ट कार्ड छोड़ा गया",),
    "vi": ("Bỏ qua thẻ liên lạc",),
    "ja": ("連絡先カードを省略",),
    "zh": ("聯絡人卡片已略去", "聯絡人卡片已省略", "联系人卡片已忽略"),
    "th": ("บัตรรายชื่อที่ละเว้น",),
    "pl": ("Pominięta wizytówka kontaktu",),
    "ko": ("연락처 카드 생략됨",),
}
# "<file name> document omitted": the phrase ends the body, the file's name before it
DOCUMENT_OMITTED = {
    "en": ("document omitted",),
    "es": ("documento omitido",),
    "pt": ("documento não revelado",),  # pt-BR: "documento omitido", as es
    "fr": ("document manquant",),
    "de": ("Dokument weggelassen",),
    "it": ("documento omesso",),
    "nl": ("document weggelaten",),
    "tr": ("belge dahil edilmedi",),
    "ru": ("документ отсутствует",),
    "uk": ("документ пропущено",),
    "ar": ("لم يتم إدراج المستند",),
    "id": ("dokumen tidak disertakan",),
    "ms": ("dokumen tidak dimasukkan",),
    "hi": ("डॉक्यूमेंट छोड़ा गया",),
    "vi": ("đã bỏ qua tài liệu",),
    "ja": ("ドキュメントは含まれていません",),
    "zh": ("文件已略去", "文件已忽略", "文档已省略"),
    "th": ("ละเว้นเอกสาร",),
    "pl": ("dokument pominięty",),
    "ko": ("문서 생략됨",),
}
# Android "<Media omitted>" (written inside angle brackets)
MEDIA_OMITTED = {
    "en": ("Media omitted", "Video message omitted", "Video note omitted"),
    "es": ("Multimedia omitido", "Archivo omitido"),
    "pt": ("Mídia omitida", "Multimédia omitido", "Ficheiro não revelado"),
    "fr": ("Fichier omis",),
    "de": ("Medien ausgeschlossen", "Medien weggelassen"),
    "it": ("Media omesso",),
    "nl": ("Media weggelaten",),
    "tr": ("Medya atlanmış", "Medya dahil edilmedi"),  # the second unverified
    "ru": ("Без медиафайлов", "Файл пропущен"),
    "uk": ("Медіа пропущено",),
    "ar": ("تم استبعاد الوسائط",),
    "id": ("Media tidak disertakan",),
    "ms": ("Media disingkirkan",),
    "hi": ("मीडिया के बिना",),
    "vi": ("Bỏ qua Media",),
    "ja": ("メディアは含まれていません",),
    "zh": ("忽略多媒體檔", "省略多媒体文件"),
    "th": ("สื่อถูกลบ",),
    "pl": ("pliki pominięto",),
    "ko": ("미디어 파일을 생략한 대화내용",),
}
DELETED = {
    "en": ("This message was deleted", "Message deleted", "This message was deleted by an admin"),
    "es": ("Se eliminó este mensaje", "Este mensaje fue eliminado"),
    "pt": ("Esta mensagem foi apagada", "Mensagem apagada"),
    "fr": ("Ce message a été supprimé",),
    "de": ("Diese Nachricht wurde gelöscht",),
    "it": ("Questo messaggio è stato eliminato",),
    "nl": ("Dit bericht is verwijderd",),
    "tr": ("Bu mesaj silindi",),
    "ru": ("Данное сообщение удалено", "Это сообщение удалено"),  # the second unverified
    "uk": ("Це повідомлення було видалено",),
    "ar": ("تم حذف هذه الرسالة",),
    "id": ("Pesan ini dihapus", "Pesan ini telah dihapus"),
    "ms": ("Mesej ini telah dipadam",),
    "hi": ("यह मैसेज डिलीट कर दिया गया है", "यह संदेश मिटाया गया"),
    "vi": ("Tin nhắn này đã bị xóa", "Tin nhắn này đã bị xoá"),
    "ja": ("このメッセージは削除されました",),
    "zh": ("此訊息已刪除", "这条消息已被删除", "信息已删除"),
    "th": ("ข้อความนี้ถูกลบแล้ว",),
    "pl": ("Ta wiadomość została usunięta",),
    "ko": ("이 메시지는 삭제되었습니다",),
}
YOU_DELETED = {
    "en": ("You deleted this message", "You deleted this message as admin"),
    "es": ("Eliminaste este mensaje",),
    "pt": ("Apagou esta mensagem", "Você apagou esta mensagem"),
    "fr": ("Vous avez supprimé ce message",),
    "de": ("Du hast diese Nachricht gelöscht",),
    "it": ("Hai eliminato questo messaggio",),
    "nl": ("U hebt dit bericht verwijderd", "Je hebt dit bericht verwijderd"),  # 2nd unverified
    "tr": ("Bu mesajı sildiniz",),
    "ru": ("Вы удалили это сообщение", "Вы удалили данное сообщение"),
    "uk": ("Ви видалили це повідомлення",),
    "ar": ("لقد حذَفت هذه الرسالة", "أنت حذفت هذه الرسالة"),
    "id": ("Anda menghapus pesan ini", "Anda telah menghapus pesan ini"),
    "ms": ("Anda telah memadamkan mesej ini",),
    "hi": ("आपने यह मैसेज डिलीट किया", "आपने यह संदेश मिटाया"),
    "vi": ("Bạn đã xóa tin nhắn này", "Bạn đã xoá tin nhắn này"),
    "ja": ("このメッセージを削除しました",),
    "zh": ("您已刪除此訊息", "您已删除这条消息"),
    "th": ("คุณได้ลบข้อความนี้", "คุณลบข้อความนี้"),
    "pl": ("Usunięto tę wiadomość",),  # unverified
    "ko": ("삭제한 메시지입니다", "이 메시지를 삭제했습니다"),
}
# Android: "<word>: https://maps.google.com/?q=lat,lon" (the iOS label is "Location")
LOCATION_LABEL = {
    "en": ("location", "live location"),
    "es": ("ubicación",),
    "pt": ("localização",),
    "fr": ("localisation",),
    "de": ("Standort",),
    "it": ("posizione",),
    "nl": ("locatie",),
    "tr": ("konum",),
    "ru": ("местоположение",),
    "uk": ("місцезнаходження",),
    "ar": ("الموقع",),
    "id": ("lokasi",),
    "ms": ("lokasi",),
    "hi": ("स्थान",),
    "vi": ("vị trí",),
    "ja": ("位置情報",),  # unverified (the source shows "位置情" cut short)
    "zh": ("位置",),
    "th": ("ตำแหน่งที่ตั้ง",),
    "pl": ("położenie",),
    "ko": ("위치",),
}
LIVE_LOCATION = {
    "en": ("live location shared",),
    "es": ("ubicación en tiempo real compartida",),
    "pt": ("localização atual compartilhada", "Está a partilhar a sua localização"),
    "fr": ("Localisation en direct partagée",),
    "de": ("Live-Standort wird geteilt",),
    "it": ("posizione attuale condivisa",),
    "nl": ("live locatie gedeeld",),
    "tr": ("Mevcut konum paylaşıldı",),
    "ru": ("Геоданные отправлены",),
    "uk": ("геодані надіслано",),
    "ar": ("تمت مشاركة الموقع المباشر",),
    "id": ("Lokasi terkini dibagikan",),
    "ms": ("lokasi terkini dikongsi",),
    "hi": ("लाइव स्थान साझा किया गया",),
    "vi": ("vị trí hiện thời được chia sẻ",),
    "ja": ("ライブロケーション共有",),
    "zh": ("實時位置已分享", "共享实时位置"),
    "th": ("ตำแหน่งปัจจุบันถูกแบ่งปัน",),
    "pl": ("udostępniona transmisja położenia",),
    "ko": ("공유한 실시간 위치",),
}
# Appended to an edited message's final text. Only English is verified (FORMATS.md §1).
EDITED = {
    "en": ("<This message was edited>", "<This message was edited.>"),
    "es": ("<Se editó este mensaje.>",),  # unverified
    "pt": ("<Mensagem editada>",),  # unverified
    "fr": ("<Ce message a été modifié>",),  # unverified
    "de": ("<Diese Nachricht wurde bearbeitet.>",),  # unverified
    "it": ("<Questo messaggio è stato modificato>",),  # unverified
    "nl": ("<Dit bericht is bewerkt>",),  # unverified
}


def key_of(text: str) -> str:
    """The form bodies and table entries are compared in."""
    return text.strip(" .\u00a0\u200e\u200f<>").casefold()


def _index(kind: str, *tables: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {key_of(p): kind for table in tables for phrases in table.values() for p in phrases}


#: A whole body (``key_of``) -> its kind: omitted media, contact cards, deletions, live
#: locations. Android's ``null`` is not here: it is case-sensitive (see _whatsapp_markers).
EXACT: dict[str, str] = {
    **_index("media", IMAGE_OMITTED, VIDEO_OMITTED, AUDIO_OMITTED, STICKER_OMITTED),
    **_index("media", GIF_OMITTED, MEDIA_OMITTED),
    **_index("contact", CONTACT_OMITTED),
    **_index("deleted", DELETED, YOU_DELETED),
    **_index("location", LIVE_LOCATION),
}
#: Endings of a "<file> document omitted" body (``key_of`` form, longest first).
DOCUMENT_ENDINGS: tuple[str, ...] = tuple(
    sorted({key_of(p) for ps in DOCUMENT_OMITTED.values() for p in ps}, key=len, reverse=True)
)
LOCATION_LABELS: frozenset[str] = frozenset(key_of(p) for ps in LOCATION_LABEL.values() for p in ps)
EDITED_MARKERS: tuple[str, ...] = tuple(p for ps in EDITED.values() for p in ps)
#: The longest body the exact table can match (a cheap test before ``key_of``).
LONGEST = max(map(len, EXACT)) + 4
#: The last two characters of every exact body and document ending as a body may end
#: (any case of letters, a full stop or ``>`` after): a body ending otherwise is none of them.
TAILS: frozenset[str] = frozenset(
    variant
    for k in (*EXACT, *DOCUMENT_ENDINGS)
    for t in {k[-2:], k[-2:].upper(), k[-2:].title(), k[-2].upper() + k[-1]}
    for variant in (t, t[-1] + ".", t[-1] + ">")
)
