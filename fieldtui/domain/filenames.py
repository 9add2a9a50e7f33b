"""Safe file and sheet names made from station and township names.

Exports put station and township names into file names, zip members, e-mail attachment names and
spreadsheet sheet titles. A name typed into the ledger may hold anything: separators, ``..``, NUL,
control or bidi-override characters, a Windows device name (``CON``), trailing dots, or two hundred
characters. The functions here turn any text into a name that

- cannot escape the folder it is written to (no ``/`` or ``\\``, never ``.`` or ``..``, no ``..``
  inside, no leading dot);
- is valid on Windows, macOS and Linux (no ``<>:"|?*``, no control characters, not a reserved
  device name, no trailing dot or space);
- fits the file-system limits (at most ``max_bytes`` bytes of UTF-8, cut on a character boundary);
- is never equal to another name handed out by the same :class:`NameAllocator`, compared the way a
  case-insensitive file system compares them.

Pure standard library: the export writers, the zip and the .eml all use the same names.
"""

from __future__ import annotations

import re
import unicodedata

# Characters Windows refuses in a file name, plus both separators.
_FORBIDDEN = set('<>:"/\\|?*')
# Device names Windows reserves whatever the extension (CON.txt is CON too). The superscript digits
# are reserved as well (COM¹ is a device on Windows).
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"} | {
    f"{p}{d}" for p in ("COM", "LPT") for d in "0123456789¹²³"
}
DEFAULT_MAX_BYTES = 120
SHEET_MAX = 31
_SHEET_FORBIDDEN = set("[]:*?/\\")
_EXT_RE = re.compile(r"[A-Za-z0-9]{1,10}")


def _is_bad_char(ch: str) -> bool:
    if ch in _FORBIDDEN:
        return True
    cat = unicodedata.category(ch)
    # Cc: control (NUL, newline...); Cf: format (bidi overrides, zero-width joiners); Cs: lone
    # surrogates (cannot be encoded); Co/Cn: private use and unassigned; Zl/Zp: line separators.
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    out = "".join("_" if _is_bad_char(ch) else ch for ch in text)
    # Any run of white space (full-width included) becomes one plain space.
    out = " ".join(out.replace("\u3000", " ").split())
    # No ".." anywhere: a run of dots becomes one dot.
    out = re.sub(r"\.{2,}", ".", out)
    return out


def _trim_ends(text: str) -> str:
    # No leading dot (hidden file, or "." / ".."), no leading space; Windows drops trailing dots
    # and spaces, so two names differing only there would collide: remove them.
    return text.strip(" .")


def _is_device(stem: str) -> bool:
    base = stem.split(".", 1)[0].rstrip(" ").upper()
    return base in _DEVICES


def _cut_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``limit`` bytes."""
    if limit <= 0:
        return ""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def safe_extension(ext: str) -> str:
    """A file extension without its dot, ASCII letters and digits only (``""`` when none)."""
    ext = ext.lstrip(".")
    return ext.lower() if _EXT_RE.fullmatch(ext) else ""


def safe_stem(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES, fallback: str = "file") -> str:
    """``text`` made safe as the part of a file name before its extension."""
    stem = _trim_ends(_clean(text))
    stem = _trim_ends(_cut_bytes(stem, max_bytes))
    if not stem:
        stem = _trim_ends(_clean(fallback)) or "file"
    if _is_device(stem):
        stem = "_" + stem
    return _trim_ends(_cut_bytes(stem, max_bytes)) or "_"


def safe_filename(
    text: str, ext: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES, fallback: str = "file"
) -> str:
    """``text`` (without extension) plus ``ext`` as one safe file name of at most ``max_bytes``."""
    ext = safe_extension(ext)
    suffix = f".{ext}" if ext else ""
    room = max(8, max_bytes - len(suffix))
    return safe_stem(text, max_bytes=room, fallback=fallback) + suffix


def is_safe_filename(name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bool:
    """True when ``name`` is already a safe file name: exactly what :func:`safe_filename` makes
    of it (no separators, no ``..``, no control or bidi characters, no device name, no leading
    dot, no trailing dot or space, a lower-case ASCII extension) within ``max_bytes`` of UTF-8."""
    if not name or len(name.encode("utf-8", "surrogatepass")) > max_bytes:
        return False
    stem, ext = split_name(name)
    return safe_filename(stem, ext, max_bytes=max_bytes) == name


def split_name(name: str) -> tuple[str, str]:
    """A file name split into stem and extension (``"a.b.pdf"`` -> ``("a.b", "pdf")``)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, ext


def name_key(name: str) -> str:
    """How a case-insensitive file system compares names (Windows, macOS)."""
    return unicodedata.normalize("NFC", name).casefold()


class NameAllocator:
    """Hands out safe file names, never two alike (case-insensitively).

    A clash gets ``_2``, ``_3``... before the extension, cutting the stem so the name still fits.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, reserved: tuple[str, ...] = ()) -> None:
        self.max_bytes = max_bytes
        self._used: set[str] = {name_key(r) for r in reserved}

    def take(self, text: str, ext: str = "", *, fallback: str = "file") -> str:
        ext = safe_extension(ext)
        suffix = f".{ext}" if ext else ""
        room = max(8, self.max_bytes - len(suffix))
        stem = safe_stem(text, max_bytes=room, fallback=fallback)
        candidate = stem + suffix
        n = 1
        while name_key(candidate) in self._used:
            n += 1
            tag = f"_{n}"
            cut = _trim_ends(_cut_bytes(stem, room - len(tag))) or "_"
            if _is_device(cut):
                cut = "_" + cut
            candidate = f"{cut}{tag}{suffix}"
        self._used.add(name_key(candidate))
        return candidate


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut_utf16(text: str, limit: int) -> str:
    out = []
    used = 0
    for ch in text:
        n = _utf16_len(ch)
        if used + n > limit:
            break
        out.append(ch)
        used += n
    return "".join(out)


class SheetNamer:
    """Excel sheet titles: at most 31 characters, none of ``[]:*?/\\``, no leading or trailing
    apostrophe, not ``History``, and unique ignoring case (Excel compares them so)."""

    def __init__(self) -> None:
        self._used: set[str] = {"history"}

    def take(self, text: str, fallback: str = "Sheet") -> str:
        text = unicodedata.normalize("NFC", text)
        clean = "".join("_" if ch in _SHEET_FORBIDDEN or _is_bad_char(ch) else ch for ch in text)
        clean = " ".join(clean.split()).strip("'").strip()
        base = _cut_utf16(clean, SHEET_MAX).strip().strip("'").strip() or fallback
        candidate = base
        n = 1
        while candidate.casefold() in self._used:
            n += 1
            tag = f"({n})"
            cut = _cut_utf16(base, SHEET_MAX - len(tag)).rstrip().rstrip("'")
            candidate = f"{cut}{tag}"
        self._used.add(candidate.casefold())
        return candidate
