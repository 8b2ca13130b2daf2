"""Evidence files: type sniffing, limits, content-addressed storage, links and thumbnails."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from analytics import db, evidence
from analytics.evidence import EvidenceError

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


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
