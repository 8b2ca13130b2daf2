"""Evidence files (photos and documents) attached to hazard progress entries and sign-offs.

Files are stored once by content hash under ``folder / sha256[:2] / (sha256 + ext)`` and
recorded in ``attachments``; ``event_attachments`` links them to hazard events. The type is
decided by the bytes (magic numbers, then Pillow for images and pypdf for PDFs), never by the
file name. A PDF must parse, and is refused when it holds anything a viewer would run or unpack:
JavaScript, launch and other actions run on opening or on events, embedded files.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

import duckdb
from PIL import Image, ImageDraw, ImageFont, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

ALLOWED = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # larger images are refused before their pixels are decoded
MAX_PDF_PAGES = 500
MAX_PDF_OBJECTS = 50_000  # a PDF listing more objects (or nesting deeper) is refused unread
MAX_PDF_DEPTH = 100

# Names that make a PDF active: scripts, actions run on opening or on events, embedded files
# (keys anywhere, /S of an action, /Subtype of an annotation).
_PDF_ACTIVE_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/Launch",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/RichMedia",
        "/XFA",
    }
)
_PDF_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/GoToE", "/RichMediaExecute", "/Rendition"}
)
_PDF_ACTIVE_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound"})
_PDF_ACTIVE_NAMES = _PDF_ACTIVE_KEYS | _PDF_ACTIVE_ACTIONS | _PDF_ACTIVE_SUBTYPES
_PDF_NAME = re.compile(rb"/((?:[A-Za-z0-9_.+-]|#[0-9A-Fa-f]{2})+)")
_PDF_STREAM_DATA = re.compile(rb"(?<!end)stream\r?\n.*?endstream", re.S)

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


class EvidenceError(ValueError):
    """An uploaded file the product will not keep; the message is Chinese and says what to do."""


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:.1f}".removesuffix(".0")


def sniff(data: bytes, file_name: str = "该文件") -> str:
    """The MIME type of ``data`` judged by its bytes; images are also checked with Pillow."""
    mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
    if mime is None:
        raise EvidenceError(
            f"只能上传 JPG、PNG 图片或 PDF 文件：{file_name} 不是这几种格式，"
            "请另存为 JPG、PNG 或 PDF 后重新上传。"
        )
    if mime in _PIL_FORMAT:
        _check_image(data, file_name, _PIL_FORMAT[mime])
    else:
        _check_pdf(data, file_name)
    return mime


def _check_image(data: bytes, file_name: str, fmt: str) -> None:
    broken = f"图片文件已损坏或不完整：{file_name}，请重新拍摄或导出后再上传。"
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            width, height = im.size  # header only: no pixels decoded yet
            if width * height > MAX_PIXELS:
                raise EvidenceError(
                    f"图片 {file_name} 分辨率过大（{width}×{height}，"
                    f"约 {width * height / 1e6:.0f} 百万像素），超过上限 "
                    f"{MAX_PIXELS // 1_000_000} 百万像素，请缩小后再上传。"
                )
            im.verify()
        if fmt == "JPEG":  # verify() does not read JPEG scan data: decode at 1/8 scale
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                im.load()
    except EvidenceError:
        raise
    except Image.DecompressionBombError as e:
        raise EvidenceError(f"图片 {file_name} 分辨率过大，请缩小后再上传。") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise EvidenceError(broken) from e


class _ActivePdf(Exception):
    pass


def _check_pdf(data: bytes, file_name: str) -> None:
    """Refuse a PDF that does not parse (within bounds), is encrypted, too long, or active."""
    broken = EvidenceError(
        f"PDF 文件 {file_name} 已损坏或无法读取，请重新扫描或用“打印为 PDF”另存后再上传。"
    )
    active = EvidenceError(
        f"PDF 文件 {file_name} 含有脚本、自动执行的动作或嵌入的文件，出于安全考虑不能上传。"
        "请用“打印为 PDF”另存一份后再上传。"
    )
    if _raw_names_active(data):  # also objects the cross-reference table does not list
        raise active
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise EvidenceError(
                f"PDF 文件 {file_name} 设有密码，无法检查其内容。"
                "请去除密码（或用“打印为 PDF”另存）后再上传。"
            )
        pages = len(reader.pages)
        if pages == 0:
            raise broken
        if pages > MAX_PDF_PAGES:
            raise EvidenceError(
                f"PDF 文件 {file_name} 共 {pages} 页，超过上限 {MAX_PDF_PAGES} 页，请拆分后再上传。"
            )
        _walk_pdf(reader)
    except EvidenceError:
        raise
    except _ActivePdf:
        raise active from None
    except Exception as e:  # pypdf raises many kinds on hostile input; none may pass
        raise broken from e


def _opens_without_password(reader: PdfReader) -> bool:
    """An encrypted PDF that opens without a password (only its permissions are protected)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a cryptography package: treat as locked
        return False


def _raw_names_active(data: bytes) -> bool:
    """Whether an active name is written in the file outside stream data (#xx escapes read)."""
    outside_streams = _PDF_STREAM_DATA.sub(b" ", data)
    for match in _PDF_NAME.finditer(outside_streams):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        if "/" + raw.decode("latin-1") in _PDF_ACTIVE_NAMES:
            return True
    return False


def _walk_pdf(reader: PdfReader) -> None:
    """Visit every object (from the trailer, and every object the file lists) for active parts;
    raises _ActivePdf, or ValueError when the file is beyond the bounds."""
    listed: list[tuple[int, int]] = [
        (number, generation) for generation, numbers in reader.xref.items() for number in numbers
    ]
    listed += [(number, 0) for number in reader.xref_objStm]
    if len(listed) > MAX_PDF_OBJECTS:
        raise ValueError("too many objects")
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[PdfObject, int]] = [(reader.trailer, 0)]
    stack += [(IndirectObject(n, g, reader), 0) for n, g in listed]
    containers = 0
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj, depth = obj.get_object(), 0
        if isinstance(obj, DictionaryObject):
            if (
                _PDF_ACTIVE_KEYS.intersection(obj)
                or obj.get("/S") in _PDF_ACTIVE_ACTIONS
                or obj.get("/Subtype") in _PDF_ACTIVE_SUBTYPES
            ):
                raise _ActivePdf
            children = obj.values()
        elif isinstance(obj, ArrayObject):
            children = obj
        else:
            continue
        containers += 1
        if depth >= MAX_PDF_DEPTH or containers > 4 * MAX_PDF_OBJECTS:
            raise ValueError("nested too deeply or too many parts")
        stack += [(v, depth + 1) for v in children if isinstance(v, DictionaryObject | ArrayObject)]
        stack += [(v, 0) for v in children if isinstance(v, IndirectObject)]


def validate(file_name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Check size and content of an upload; return its MIME type or raise EvidenceError."""
    if len(data) > max_bytes:
        raise EvidenceError(
            f"文件 {file_name} 大小 {_mb(len(data))} MB，超过上限 {_mb(max_bytes)} MB，"
            "请压缩或缩小后再上传。"
        )
    return sniff(data, file_name)


def _checked_sha(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise EvidenceError(f"附件编号无效：{sha256!r}")
    return sha256


def path_of(folder: Path, sha256: str, mime: str) -> Path:
    """Where the file with this hash and type lives under ``folder``."""
    if mime not in ALLOWED:
        raise EvidenceError(f"不支持的附件类型：{mime}")
    sha = _checked_sha(sha256)
    return Path(folder) / sha[:2] / (sha + ALLOWED[mime])


def _file_sha(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def store(
    conn: duckdb.DuckDBPyConnection,
    folder: Path,
    file_name: str,
    data: bytes,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """Validate and keep an uploaded file; return its sha256 hex.

    Opens no transaction: the caller wraps the hazard event and its attachments in one
    ``analytics.store.db.transaction``. If that transaction rolls back, the written file stays
    on disk unreferenced, which is harmless (content-addressed, identical on retry).
    """
    mime = validate(file_name, data, max_bytes)
    sha = hashlib.sha256(data).hexdigest()
    target = path_of(folder, sha, mime)
    if _file_sha(target) != sha:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{sha}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    conn.execute(
        "INSERT INTO attachments (sha256, mime, size_bytes) VALUES (?, ?, ?)"
        " ON CONFLICT (sha256) DO NOTHING",
        [sha, mime, len(data)],
    )
    return sha


def attach(conn: duckdb.DuckDBPyConnection, event_id: int, sha256: str, file_name: str) -> None:
    """Link a stored file to a hazard event (an exact repeat is ignored)."""
    conn.execute(
        "INSERT INTO event_attachments (event_id, sha256, file_name) VALUES (?, ?, ?)"
        " ON CONFLICT (event_id, sha256) DO NOTHING",
        [event_id, _checked_sha(sha256), file_name],
    )


def for_events(conn: duckdb.DuckDBPyConnection, event_ids: list[int]) -> dict[int, list[dict]]:
    """Each requested event id → its files as {sha256, file_name, mime, size_bytes}.

    Every id asked for is a key (an empty list when the event has no files).
    """
    result: dict[int, list[dict]] = {int(e): [] for e in event_ids}
    if not result:
        return result
    rows = conn.execute(
        "SELECT ea.event_id, ea.sha256, ea.file_name, a.mime, a.size_bytes"
        " FROM event_attachments ea JOIN attachments a USING (sha256)"
        " WHERE list_contains(?::BIGINT[], ea.event_id)"
        " ORDER BY ea.event_id, ea.file_name, ea.sha256",
        [list(result)],
    ).fetchall()
    for event_id, sha, name, mime, size in rows:
        result[event_id].append(
            {"sha256": sha, "file_name": name, "mime": mime, "size_bytes": size}
        )
    return result


def thumbnail(folder: Path, sha256: str, mime: str, size: int = 160) -> bytes:
    """PNG bytes of a preview at most ``size`` pixels square (a page icon for PDFs)."""
    path = path_of(folder, sha256, mime)
    if mime == "application/pdf":
        return _pdf_icon(size)
    with Image.open(path, formats=[_PIL_FORMAT[mime]]) as im:
        im.draft("RGB", (size, size))  # JPEG: decode at a reduced scale when possible
        im = ImageOps.exif_transpose(im)
        alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
        im = im.convert("RGBA" if alpha else "RGB")
        im.thumbnail((size, size))
        out = io.BytesIO()
        im.save(out, "PNG")
    return out.getvalue()


def _pdf_icon(size: int) -> bytes:
    im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    left, top, right, bottom = size * 0.18, size * 0.06, size * 0.82, size * 0.94
    fold = size * 0.16
    page = [(left, top), (right - fold, top), (right, top + fold), (right, bottom), (left, bottom)]
    line = max(1, size // 80)
    draw.polygon(page, fill=(246, 247, 249, 255), outline=(150, 156, 166, 255), width=line)
    draw.polygon(
        [(right - fold, top), (right - fold, top + fold), (right, top + fold)],
        fill=(222, 226, 232, 255),
        outline=(150, 156, 166, 255),
        width=line,
    )
    font = ImageFont.load_default(size=max(8, size // 5))
    x0, y0, x1, y1 = draw.textbbox((0, 0), "PDF", font=font)
    at = ((size - (x1 - x0)) / 2 - x0, size * 0.58 - (y1 - y0) / 2 - y0)
    draw.text(at, "PDF", fill=(200, 40, 40, 255), font=font)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()
