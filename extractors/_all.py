"""Every extractor module, imported for its registration (DESIGN.md §1, §5).

This list is the registry's only source (explicit, no scanning of the file system). Keep it
sorted. :mod:`extractors.registry` imports this module the first time the extractors are
asked for, so a command that parses nothing (``ews --help``, ``ews items``) never loads them.
"""

from extractors import (  # noqa: F401
    android_calllog,
    android_contacts,
    android_mmssms,
    discord_package,
    email_mime,
    facebook_json,
    googlechat_json,
    image_meta,
    instagram_json,
    ios_addressbook,
    ios_callhistory,
    ios_sms,
    ios_whatsapp,
    ios_whatsapp_contacts,
    sms_backup_xml,
    snapchat_json,
    telegram_html,
    telegram_json,
    twitter_js,
    whatsapp_crypt,
    whatsapp_msgstore,
    whatsapp_txt,
)
