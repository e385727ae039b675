"""Pure parsers: bytes in, typed records out (DESIGN.md §1, §5).

Extractors register themselves on import; this list is the registry's only source
(explicit, no scanning of the file system). Keep it sorted.
"""

from extractors import (  # noqa: F401
    discord_package,
    email_mime,
    facebook_json,
    googlechat_json,
    image_meta,
    instagram_json,
    sms_backup_xml,
    snapchat_json,
    telegram_html,
    telegram_json,
    twitter_js,
    whatsapp_txt,
)
