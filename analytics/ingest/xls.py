"""The extent of an old .xls workbook from its cell records, before calamine reads it.

An .xls is a compound file (OLE2) whose Workbook stream holds BIFF records; every cell record
starts with its row and column. calamine builds each sheet's used range densely, so a file with
cells at A1 and IV65536 (a few KB) would cost a gigabyte: the ranges are measured here first,
reading the compound file by its allocation tables (sectors may be in any order).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFA  # sector ids at or above this end a chain (or mark free/special sectors)
_BOF, _EOF = 0x0809, 0x000A
# cell records: row and column first (BIFF8, and BIFF5 where they are the same)
_CELLS = {0x0006, 0x0406, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6, 0x0007}
_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, …, last column


class XlsError(ValueError):
    """Not a readable compound file or workbook stream."""


@dataclass(frozen=True)
class Extent:
    sheets: int
    ranges: list[tuple[int, int]]  # per sheet: rows from the first row, columns of the range


def extent(data: bytes) -> Extent:
    stream = _workbook_stream(data)
    ranges: list[tuple[int, int]] = []
    sheets = 0
    lo_c = hi_c = hi_r = None
    pos, n = 0, len(stream)
    while pos + 4 <= n:
        kind, size = struct.unpack_from("<HH", stream, pos)
        body = pos + 4
        pos = body + size
        if pos > n:
            break
        if kind == _BOF and size >= 4 and struct.unpack_from("<H", stream, body + 2)[0] == 0x10:
            sheets += 1
            lo_c = hi_c = hi_r = None
            continue
        if kind in _CELLS and size >= 4:
            row, c0 = struct.unpack_from("<HH", stream, body)
            c1 = c0
        elif kind in _MULTI and size >= 6:
            row, c0 = struct.unpack_from("<HH", stream, body)
            c1 = struct.unpack_from("<H", stream, body + size - 2)[0]
        elif kind == _EOF and hi_r is not None:
            ranges.append((hi_r + 1, hi_c - lo_c + 1))
            lo_c = hi_c = hi_r = None
            continue
        else:
            continue
        hi_r = row if hi_r is None else max(hi_r, row)
        lo_c = min(c0, c1) if lo_c is None else min(lo_c, c0, c1)
        hi_c = max(c0, c1) if hi_c is None else max(hi_c, c0, c1)
    if hi_r is not None:
        ranges.append((hi_r + 1, hi_c - lo_c + 1))
    return Extent(sheets, ranges)


def _workbook_stream(data: bytes) -> bytes:
    if len(data) < 512 or not data.startswith(OLE2):
        raise XlsError("not a compound file")
    u16 = lambda o: struct.unpack_from("<H", data, o)[0]  # noqa: E731
    u32 = lambda o: struct.unpack_from("<I", data, o)[0]  # noqa: E731
    shift, mini_shift = u16(0x1E), u16(0x20)
    if shift not in (9, 12) or mini_shift != 6:
        raise XlsError("sector size")
    size = 1 << shift
    n_sectors = len(data) // size  # an upper bound on every chain's length

    def sector(i: int) -> bytes:
        off = (i + 1) * size
        if i >= _END or off + size > len(data) + size:  # the last sector may be short
            raise XlsError("sector out of range")
        return data[off : off + size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    nxt, seen = u32(0x44), set()
    while nxt < _END:
        if nxt in seen or len(seen) > n_sectors:
            raise XlsError("DIFAT loop")
        seen.add(nxt)
        entries = struct.unpack(f"<{size // 4}I", sector(nxt).ljust(size, b"\xff"))
        difat += entries[:-1]
        nxt = entries[-1]
    fat_ids = [x for x in difat if x < _END][: u32(0x2C)]
    fat_bytes = b"".join(sector(i).ljust(size, b"\xff") for i in fat_ids)
    fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)

    def chain(start: int, table: tuple[int, ...], limit: int) -> list[int]:
        out, seen_ = [], set()
        while start < _END:
            if start in seen_ or start >= len(table) or len(out) > limit:
                raise XlsError("broken chain")
            seen_.add(start)
            out.append(start)
            start = table[start]
        return out

    def read(start: int) -> bytes:
        return b"".join(sector(i) for i in chain(start, fat, n_sectors))

    directory = read(u32(0x30))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        e = directory[off : off + 128]
        name_len = struct.unpack_from("<H", e, 0x40)[0]
        name = e[: max(name_len - 2, 0)].decode("utf-16-le", "replace")
        kind = e[0x42]
        start, length = struct.unpack_from("<II", e, 0x74)
        entries.append((name, kind, start, length))
    if not entries:
        raise XlsError("no directory")
    found = next((e for e in entries if e[1] == 2 and e[0] in ("Workbook", "Book")), None)
    if found is None:
        raise XlsError("no workbook stream")
    _, _, start, length = found
    if length >= u32(0x38):  # a regular stream
        return read(start)[:length]
    root = entries[0]  # a small stream lives in the mini stream, in 64-byte sectors
    mini = read(root[2])
    mini_fat_bytes = read(u32(0x3C)) if u32(0x40) else b""
    mini_fat = struct.unpack(f"<{len(mini_fat_bytes) // 4}I", mini_fat_bytes)
    ids = chain(start, mini_fat, len(mini) // 64 + 1)
    return b"".join(mini[i * 64 : i * 64 + 64] for i in ids)[:length]
