"""Evidence files: type sniffing, limits, content-addressed storage, links and thumbnails."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from analytics.ledger import evidence
from analytics.ledger.evidence import EvidenceError
from analytics.store import db


def minimal_pdf(
    catalog: bytes = b"", page: bytes = b"", extra: tuple[bytes, ...] = (), hidden: bytes = b""
) -> bytes:
    """A hand-written one-page PDF with a correct cross-reference table; ``extra`` objects are
    numbered from 4, ``hidden`` bytes sit before the table without an entry in it."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]" + page + b" >>",
        *extra,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    out += hidden
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return bytes(out)


PDF = minimal_pdf()


def compressed_pdf(hidden_object: bytes) -> bytes:
    """A PDF 1.5 whose object 5 sits zlib-compressed in an object stream (4), found through a
    cross-reference stream (6); the catalog opens it as its /OpenAction."""
    import struct
    import zlib

    body = b"5 0 " + hidden_object
    packed = zlib.compress(body)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        4: b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s"
        b"\nendstream" % (len(packed), packed),
    }
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}
    for number, text in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, text)
    offsets[6] = len(out)
    rows = struct.pack(">BIH", 0, 0, 65535)
    rows += b"".join(struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3, 4))
    rows += struct.pack(">BIH", 2, 4, 0) + struct.pack(">BIH", 1, offsets[6], 0)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        len(rows)
    )
    out += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def image_bytes(fmt: str, size: tuple[int, int] = (400, 200), mode: str = "RGB", **kw) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 120, 200) if mode == "RGB" else 0).save(out, fmt, **kw)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


@pytest.fixture
def conn(tmp_path, tiny_city):
    c = db.open_store(tmp_path / "e.duckdb", tiny_city)
    yield c
    c.close()


def add_event(conn, hazard_id: str = "h1") -> int:
    return conn.execute(
        "INSERT INTO hazard_events (hazard_id, event_at, actor, action)"
        " VALUES (?, TIMESTAMP '2022-03-01 09:00', 'tester', '进展') RETURNING event_id",
        [hazard_id],
    ).fetchone()[0]


def test_sniff_by_content() -> None:
    assert evidence.sniff(PNG) == "image/png"
    assert evidence.sniff(JPEG) == "image/jpeg"
    assert evidence.sniff(PDF) == "application/pdf"
    assert evidence.validate("scan.bin", PDF) == "application/pdf"  # the name is not trusted


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.jpg", "这是一段文字，不是照片".encode()),
        ("empty.png", b""),
        ("a.zip", b"PK\x03\x04" + b"\0" * 40),
        ("a.exe", b"MZ\x90\x00" + b"\0" * 40),
    ],
)
def test_refuses_other_types(name: str, data: bytes) -> None:
    with pytest.raises(EvidenceError) as e:
        evidence.validate(name, data)
    assert str(e.value) == (
        f"只能上传 JPG、PNG 图片或 PDF 文件：{name} 不是这几种格式，"
        "请另存为 JPG、PNG 或 PDF 后重新上传。"
    )


def test_refuses_too_large() -> None:
    data = PDF + b"\0" * (11 * 1024 * 1024 - len(PDF))
    with pytest.raises(EvidenceError) as e:
        evidence.validate("big.pdf", data)
    assert str(e.value) == "文件 big.pdf 大小 11 MB，超过上限 10 MB，请压缩或缩小后再上传。"
    assert evidence.validate("big.pdf", data, max_bytes=12 * 1024 * 1024) == "application/pdf"
    with pytest.raises(EvidenceError, match="大小 12.3 MB，超过上限 10 MB"):
        evidence.validate("x.jpg", JPEG + b"\0" * int(12.3 * 1024 * 1024))


@pytest.mark.parametrize(("name", "data"), [("cut.png", PNG[:-20]), ("cut.jpg", JPEG[:-200])])
def test_refuses_truncated_image(name: str, data: bytes) -> None:
    with pytest.raises(EvidenceError) as e:
        evidence.validate(name, data)
    assert str(e.value) == f"图片文件已损坏或不完整：{name}，请重新拍摄或导出后再上传。"


def test_refuses_too_many_pixels() -> None:
    data = image_bytes("PNG", (8000, 6500), mode="1")  # 52 megapixels in a few kB
    assert len(data) < 50_000
    with pytest.raises(EvidenceError) as e:
        evidence.validate("huge.png", data)
    assert str(e.value) == (
        "图片 huge.png 分辨率过大（8000×6500，约 52 百万像素），超过上限 40 百万像素，"
        "请缩小后再上传。"
    )


def written_pdf(change=None, pages: int = 1) -> bytes:  # a PdfWriter callback
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdfs_that_parse_are_kept() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    def open_at_first_page(w: PdfWriter) -> None:
        w._root_object[NameObject("/OpenAction")] = ArrayObject(
            [w.pages[0].indirect_reference, NameObject("/Fit")]
        )

    def with_a_link(w: PdfWriter) -> None:
        from pypdf.annotations import Link

        w.add_annotation(0, Link(rect=(10, 10, 100, 30), url="https://www.gov.cn/"))
        w.pages[0][NameObject("/Rotate")] = NumberObject(90)

    for data in (
        PDF,
        written_pdf(),
        written_pdf(open_at_first_page),
        written_pdf(with_a_link),
        written_pdf(pages=500),
        compressed_pdf(b"[3 0 R /Fit]"),
    ):
        assert evidence.validate("验收单.pdf", data) == "application/pdf"


def _add_document_js(w) -> None:
    from pypdf.actions import JavaScript

    w.add_open_action(JavaScript("app.alert('x');"))


def _add_launch(w) -> None:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    w.pages[0][NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/Launch"),
                    NameObject("/F"): TextStringObject("cmd.exe"),
                }
            )
        }
    )


def _add_open_js(w) -> None:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    w._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
    )


def _add_file_annotation(w) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 20, 20)]),
        }
    )
    w.pages[0][NameObject("/Annots")] = ArrayObject([w._add_object(annotation)])


ACTIVE = "含有脚本、自动执行的动作或嵌入的文件"


@pytest.mark.parametrize(
    "data",
    [
        written_pdf(_add_document_js),
        written_pdf(lambda w: w.add_attachment("setup.exe", b"MZ\x90\x00")),
        written_pdf(_add_launch),
        written_pdf(_add_open_js),
        written_pdf(_add_file_annotation),
        minimal_pdf(catalog=b" /OpenAction 4 0 R", extra=(b"<< /S /JavaScript /JS (x) >>",)),
        minimal_pdf(catalog=b" /OpenAction << /S /J#61vaScript /JS (x) >>"),  # escaped name
        minimal_pdf(page=b" /AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>"),
        minimal_pdf(catalog=b" /Names << /EmbeddedFiles 4 0 R >>", extra=(b"<< /Names [] >>",)),
        minimal_pdf(extra=(b"<< /S /Launch /F (calc.exe) >>",)),  # listed, though unreferenced
        minimal_pdf(hidden=b"9 0 obj\n<< /S /JavaScript /JS (x) >>\nendobj\n"),  # not listed
        compressed_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"),  # inside an object stream
        minimal_pdf(  # not listed, between two streams
            hidden=b"8 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n"
            b"9 0 obj\n<< /S /Launch /F (x.exe) >>\nendobj\n"
            b"10 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n"
        ),
    ],
    ids=[
        "open_action_js",
        "attachment",
        "launch",
        "open_js",
        "file_annotation",
        "open_indirect",
        "escaped",
        "page_aa",
        "embedded_files",
        "unreferenced",
        "hidden",
        "object_stream",
        "hidden_between_streams",
    ],
)
def test_active_pdfs_are_refused(data: bytes) -> None:
    with pytest.raises(EvidenceError) as e:
        evidence.validate("整改报告.pdf", data)
    assert str(e.value) == (
        f"PDF 文件 整改报告.pdf {ACTIVE}，出于安全考虑不能上传。请用“打印为 PDF”另存一份后再上传。"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4 fake acceptance form",
        b"%PDF-1.7\n" + b"\0" * 2000,
        PDF[: len(PDF) // 3],
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        minimal_pdf(page=b" /Nest " + b"[" * 5000 + b"]" * 5000),
        written_pdf(pages=0),
    ],
    ids=["header_only", "zeros", "cut", "no_pages", "deep_nesting", "empty"],
)
def test_pdfs_that_do_not_parse_are_refused(data: bytes) -> None:
    with pytest.raises(EvidenceError) as e:
        evidence.validate("扫描件.pdf", data)
    assert str(e.value) == (
        "PDF 文件 扫描件.pdf 已损坏或无法读取，请重新扫描或用“打印为 PDF”另存后再上传。"
    )


def test_encrypted_and_long_pdfs_are_refused() -> None:
    locked = written_pdf(lambda w: w.encrypt("secret-1", algorithm="RC4-128"))
    with pytest.raises(EvidenceError) as e:
        evidence.validate("加密.pdf", locked)
    assert str(e.value) == (
        "PDF 文件 加密.pdf 设有密码，无法检查其内容。请去除密码（或用“打印为 PDF”另存）后再上传。"
    )
    with pytest.raises(EvidenceError) as e:
        evidence.validate("长文档.pdf", written_pdf(pages=501))
    assert str(e.value) == "PDF 文件 长文档.pdf 共 501 页，超过上限 500 页，请拆分后再上传。"


def test_store_twice_keeps_one_copy(conn, tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    sha = hashlib.sha256(PNG).hexdigest()
    with db.transaction(conn):  # store opens no transaction of its own
        assert evidence.store(conn, folder, "现场.png", PNG) == sha
    assert evidence.store(conn, folder, "again.png", PNG) == sha
    expected = folder / sha[:2] / f"{sha}.png"
    assert evidence.path_of(folder, sha, "image/png") == expected
    assert expected.read_bytes() == PNG
    assert [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()] == [
        f"{sha[:2]}/{sha}.png"
    ]
    assert conn.execute("SELECT sha256, mime, size_bytes FROM attachments").fetchall() == [
        (sha, "image/png", len(PNG))
    ]


def test_store_rolls_back_with_caller(conn, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), db.transaction(conn):
        evidence.store(conn, tmp_path, "a.pdf", PDF)
        raise RuntimeError("workflow failed")
    assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def test_store_refuses_bad_file_without_writing(conn, tmp_path: Path) -> None:
    with pytest.raises(EvidenceError):
        evidence.store(conn, tmp_path / "ev", "x.jpg", b"not a photo")
    assert not (tmp_path / "ev").exists()
    assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def test_attach_and_list(conn, tmp_path: Path) -> None:
    e1, e2, e3 = add_event(conn), add_event(conn), add_event(conn, "h2")
    png = evidence.store(conn, tmp_path, "整改前.png", PNG)
    pdf = evidence.store(conn, tmp_path, "销号申请.pdf", PDF)
    evidence.attach(conn, e1, png, "整改前.png")
    evidence.attach(conn, e1, png, "整改前.png")  # exact repeat ignored
    evidence.attach(conn, e1, pdf, "销号申请.pdf")
    evidence.attach(conn, e3, pdf, "销号申请.pdf")
    assert conn.execute("SELECT count(*) FROM event_attachments").fetchone()[0] == 3
    assert evidence.for_events(conn, [e1, e2, e3]) == {
        e1: [
            {"sha256": png, "file_name": "整改前.png", "mime": "image/png", "size_bytes": len(PNG)},
            {
                "sha256": pdf,
                "file_name": "销号申请.pdf",
                "mime": "application/pdf",
                "size_bytes": len(PDF),
            },
        ],
        e2: [],
        e3: [
            {
                "sha256": pdf,
                "file_name": "销号申请.pdf",
                "mime": "application/pdf",
                "size_bytes": len(PDF),
            }
        ],
    }
    assert evidence.for_events(conn, []) == {}


def thumb_of(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def test_thumbnails(conn, tmp_path: Path) -> None:
    png = evidence.store(conn, tmp_path, "a.png", PNG)
    jpg = evidence.store(conn, tmp_path, "a.jpg", JPEG)
    pdf = evidence.store(conn, tmp_path, "a.pdf", PDF)
    assert thumb_of(evidence.thumbnail(tmp_path, png, "image/png")).size == (160, 80)
    assert thumb_of(evidence.thumbnail(tmp_path, jpg, "image/jpeg")).size == (160, 80)
    assert thumb_of(evidence.thumbnail(tmp_path, jpg, "image/jpeg", size=40)).size == (40, 20)
    icon = thumb_of(evidence.thumbnail(tmp_path, pdf, "application/pdf"))
    assert icon.size == (160, 160)
    assert (
        len(icon.convert("RGB").getcolors(maxcolors=1 << 16)) > 3
    )  # a page with text, not a blank square


def test_thumbnail_applies_exif_orientation(conn, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    sha = evidence.store(conn, tmp_path, "竖拍.jpg", image_bytes("JPEG", exif=exif))
    assert thumb_of(evidence.thumbnail(tmp_path, sha, "image/jpeg")).size == (80, 160)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "a" * 63, "a" * 63 + "/"])
def test_bad_sha256_refused(conn, tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        evidence.path_of(tmp_path, bad, "image/png")
    with pytest.raises(ValueError):
        evidence.thumbnail(tmp_path, bad, "application/pdf")
    with pytest.raises(ValueError):
        evidence.attach(conn, 1, bad, "x.png")


def test_a_pdf_beyond_the_bounds_is_refused_unread(monkeypatch) -> None:
    monkeypatch.setattr(evidence, "MAX_PDF_OBJECTS", 10)
    assert evidence.validate("a.pdf", minimal_pdf(extra=(b"<< /K 1 >>",) * 7)) == "application/pdf"
    with pytest.raises(EvidenceError, match="已损坏或无法读取"):
        evidence.validate("a.pdf", minimal_pdf(extra=(b"<< /K 1 >>",) * 8))
    monkeypatch.setattr(evidence, "MAX_PDF_DEPTH", 5)
    assert evidence.validate("b.pdf", minimal_pdf(page=b" /K [[[1]]]")) == "application/pdf"
    with pytest.raises(EvidenceError, match="已损坏或无法读取"):
        evidence.validate("b.pdf", minimal_pdf(page=b" /K [[[[[1]]]]]"))
