"""Where a "Download your information" member sits: platform, thread page, thread id, and
the archive members its ``uri`` fields name."""

from __future__ import annotations

import posixpath
import re

from extractors.base import Sibling, Source

_THREAD_PATH = re.compile(r"/messages/[^/]+/[^/]+/[^/]+$")
_IG_THREAD = re.compile(r"/messages/[^/]+/[^/]*_1784\d{13}/")  # Instagram's 1784… ids


class SiblingIndex:
    """Archive members by path, built once per archive (siblings are shared by members)."""

    def __init__(self) -> None:
        self._cache: tuple[tuple[Sibling, ...], dict[str, Sibling]] = ((), {})

    def of(self, source: Source) -> dict[str, Sibling]:
        """Members of the source's archive by path (empty for a plain file)."""
        cached = self._cache
        if cached[0] is not source.siblings:
            cached = (source.siblings, {s.member: s for s in source.siblings})
            self._cache = cached
        return cached[1]

    def resolve(self, source: Source, uri: str) -> Sibling | None:
        """The member a ``uri`` names: relative to the export root (which may sit in a folder
        of the archive) or, for ``./`` paths, to the source's own folder."""
        index = self.of(source)
        if not index or source.member is None:
            return None
        if uri.startswith("./") or uri.startswith("../"):
            candidate = posixpath.normpath(posixpath.join(posixpath.dirname(source.member), uri))
            return index.get(candidate)
        parts = source.member.split("/")
        for n in range(len(parts)):
            found = index.get("/".join([*parts[:n], uri]))
            if found is not None:
                return found
        return None


def dyi_platform(source: Source) -> str | None:
    """'facebook' or 'instagram' when the member path, archive name or head says so."""
    where = (source.member or source.path).replace("\\", "/").lower()
    if "your_instagram_activity/" in where:
        return "instagram"
    if "your_facebook_activity/" in where:
        return "facebook"
    for segment in re.split(r"[/\\!]", source.path.lower()):
        if segment.startswith(("instagram-", "instagram_")):
            return "instagram"
        if segment.startswith(("facebook-", "facebook_")):
            return "facebook"
    if _IG_THREAD.search("/" + where):
        return "instagram"
    if b'"thread_type"' in source.head or re.search(rb'"type"\s*:\s*"Generic"', source.head):
        return "facebook"
    return None


def json_head(source: Source) -> bytes:
    return source.head.removeprefix(b"\xef\xbb\xbf").lstrip()


def looks_like_thread(source: Source) -> bool:
    """A DYI thread page (Facebook or Instagram shape) by name and head."""
    head = json_head(source)
    if not source.name.lower().endswith(".json") or not head.startswith(b"{"):
        return False
    if b'"$schema"' in head or b'"senderName"' in head:
        return False
    if b'"messages"' in head and (b'"sender_name"' in head or b'"participants"' in head):
        return True
    where = "/" + (source.member or source.path).replace("\\", "/")
    return b'"participants"' in head and _THREAD_PATH.search(where) is not None


def thread_id_of(source: Source, thread_path: object) -> str:
    """The path below ``messages/`` (kind/thread folder), else the file's thread_path."""
    parts = (source.member or source.path).replace("\\", "/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "messages" and i + 1 < len(parts) - 1:
            return "/".join(parts[i + 1 : -1])
    if isinstance(thread_path, str) and thread_path:
        return thread_path
    stem = re.sub(r"_\d+$", "", parts[-1].rsplit(".", 1)[0])
    return parts[-2] if stem == "message" and len(parts) > 1 else stem
