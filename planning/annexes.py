"""What an annex file is and whether it is safe to keep: its type read from its content (not its
name), its size against the limit, and a malware scan by ClamAV's daemon (clamd) where the
installation configures one (``CLAMD_SOCKET``, or ``CLAMD_HOST`` and ``CLAMD_PORT``), spoken
through clamd's documented INSTREAM command. Without a scanner the annex is recorded as "not
scanned"; with one that cannot be reached, nothing is stored."""

from __future__ import annotations

import socket
import struct
import zipfile
from dataclasses import dataclass

from django.conf import settings

from .models import ScanResult

# Content types accepted, with the extensions a file of that content may carry.
ACCEPTED = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "text/plain": (".txt",),
}
_OOXML = {"word/": ".docx", "xl/": ".xlsx", "ppt/": ".pptx"}


def max_bytes() -> int:
    return int(getattr(settings, "PLAN_ANNEX_MAX_BYTES", 20 * 1024 * 1024))


def content_type_of(head: bytes, file) -> str | None:
    """The type of a file from its first bytes (and, for Office documents, its parts); None when
    it is none of the accepted ones."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            file.seek(0)
        if "[Content_Types].xml" not in names:
            return None
        for prefix, extension in _OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return next(t for t, exts in ACCEPTED.items() if extension in exts)
        return None
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
            return None
    return "text/plain"


@dataclass(frozen=True)
class Scan:
    result: str  # ScanResult
    detail: str = ""
    infected: bool = False


class ScannerUnavailable(Exception):
    pass


def _clamd_connection() -> socket.socket | None:
    path = getattr(settings, "CLAMD_SOCKET", "")
    host = getattr(settings, "CLAMD_HOST", "")
    timeout = float(getattr(settings, "CLAMD_TIMEOUT", 30))
    try:
        if path:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(timeout)
            connection.connect(path)
            return connection
        if host:
            return socket.create_connection((host, int(getattr(settings, "CLAMD_PORT", 3310))), timeout=timeout)
    except OSError as exc:
        raise ScannerUnavailable(str(exc)) from exc
    return None


def scan(file) -> Scan:
    """Scan ``file`` with clamd when one is configured; "not scanned" when none is."""
    connection = _clamd_connection()
    if connection is None:
        return Scan(ScanResult.NOT_SCANNED, "No malware scanner is configured on this installation.")
    try:
        with connection:
            connection.sendall(b"zINSTREAM\0")
            file.seek(0)
            for chunk in iter(lambda: file.read(64 * 1024), b""):
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = connection.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        raise ScannerUnavailable(str(exc)) from exc
    finally:
        file.seek(0)
    text = reply.rstrip(b"\0").decode("utf-8", "replace")
    if text.endswith("FOUND"):
        return Scan(ScanResult.CLEAN, text, infected=True)
    if text.endswith("OK"):
        return Scan(ScanResult.CLEAN, "ClamAV: no malware found")
    raise ScannerUnavailable(f"Unexpected answer from the scanner: {text[:100]}")
