"""The commands that move a store into PostgreSQL and back it up there: migrate-store, and backup /
restore with --db postgresql://… (in process, as tests/test_cli.py runs them)."""

from __future__ import annotations

import json
import re
import shutil
import uuid

import duckdb
import pytest

from analytics.__main__ import main
from analytics.store import db, mirror, shared

LINE = re.compile(r"  (\w+)\t([\d,]+) 行\t行数与内容哈希一致")


def test_migrate_store_moves_a_file_and_checks_every_table(tmp_path, demo_db_path, pg_url, capsys):
    path = tmp_path / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    assert main(["migrate-store", "--from", str(path), "--to", pg_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"已将 {path} 迁移到 {pg_url}："
    printed = {m[1]: int(m[2].replace(",", "")) for m in map(LINE.fullmatch, lines[1:-1])}
    file = duckdb.connect(str(path), read_only=True)
    names = [r[0] for r in file.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    counts = {t: file.table(t).count("*").fetchall()[0][0] for t in names}
    hashes = {n: shared.content_hash(file, t) for n, t in shared.describe(file).items()}
    file.close()
    assert printed == counts and len(printed) == 26 and printed["hazards"] == 231
    assert lines[-1] == "共 26 个数据表，迁移前后行数与内容哈希全部一致。"
    conn = mirror.open_reading(pg_url)
    assert {n: shared.content_hash(conn, t) for n, t in conn.shared.tables.items()} == hashes
    conn.close()


def test_migrate_store_refuses_a_database_that_holds_anything(
    tmp_path, demo_db_path, pg_url, capsys
):
    conn = shared._connect_pg(pg_url)
    conn.cursor().execute("CREATE TABLE notes (id integer)")
    conn.close()
    args = ["migrate-store", "--from", str(demo_db_path), "--to", pg_url]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"错误：目标数据库 {pg_url} 已有数据（1 个数据表或函数：public.notes），"
        "请指定一个新建的空数据库；迁移不会覆盖或删除已有数据。\n"
    )
    assert mirror.existing_objects(pg_url) == ["public.notes"]


def test_migrate_store_refuses_a_second_run(tmp_path, demo_db_path, pg_url, capsys):
    args = ["migrate-store", "--from", str(demo_db_path), "--to", pg_url]
    assert main(args) == 0
    before = mirror.verify(pg_url)
    capsys.readouterr()
    assert main(args) == 2
    # the store's 18 tables and their tombstones; the revision tables alone would not refuse it
    assert "已有数据（52 个数据表或函数：public.accidents、" in capsys.readouterr().err
    assert mirror.verify(pg_url) == before


def test_migrate_store_wants_the_latest_schema_first(tmp_path, pg_url, capsys):
    path = tmp_path / "old.duckdb"
    conn = db.connect(path)
    db.migrate(conn, target=db.LATEST_VERSION - 1)
    conn.close()
    assert main(["migrate-store", "--from", str(path), "--to", pg_url]) == 2
    err = capsys.readouterr().err
    assert f"需要先升级：python -m analytics migrate --db {path}" in err
    assert mirror.existing_objects(pg_url) == []
    assert main(["migrate-store", "--from", str(path), "--to", str(tmp_path / "x.duckdb")]) == 2
    assert "--to 须为 postgresql://" in capsys.readouterr().err


def test_backup_and_restore_commands_on_postgresql(
    tmp_path, demo_db_path, pg_server, pg_url, monkeypatch, capsys
):
    monkeypatch.setenv("HAZARDS_BACKUP_DIR", str(tmp_path / "srv" / "backups"))
    monkeypatch.setenv("HAZARDS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    mirror.copy_from_file(demo_db_path, pg_url)
    assert main(["backup", "--db", pg_url]) == 0
    out = capsys.readouterr().out.splitlines()
    [folder] = list((tmp_path / "srv" / "backups").iterdir())
    key = tmp_path / "srv" / "postgresql.backup-key"  # the backup folder setting's parent
    assert out[0] == f"已备份到 {folder}" and str(key) in out[1]
    assert json.loads((folder / "manifest.json").read_text("utf-8"))["store"] == "postgresql"
    target = mirror.create_database(pg_server, f"cli_{uuid.uuid4().hex[:16]}")
    assert main(["restore", str(folder), "--db", target, "--force"]) == 2
    assert "不能使用 --force" in capsys.readouterr().err
    assert mirror.existing_objects(target) == []
    assert main(["restore", str(folder), "--db", target]) == 0
    file = duckdb.connect(str(demo_db_path), read_only=True)
    (events,) = file.execute("SELECT count(*) FROM hazard_events").fetchone()
    file.close()
    said = (
        f"已恢复到 {target}：隐患 231 条，事件 {events} 条，附件 0 个\n"
        "使用该数据库：将设置 HAZARDS_DATABASE_URL 指向它，然后重启本系统。\n"
    )
    assert capsys.readouterr().out == said
    assert mirror.verify(target) == mirror.verify(pg_url)
    assert main(["restore", str(folder), "--db", pg_url]) == 2  # the live store: not empty
    assert "不是空的" in capsys.readouterr().err


def test_migrate_store_takes_a_database_a_failed_attempt_left(demo_db_path, pg_url, capsys):
    """Opening a store makes the revision tables first, outside the move's one transaction."""
    conn = shared._connect_pg(pg_url)
    for statement in shared.META:
        conn.cursor().execute(statement)
    conn.close()
    assert main(["migrate-store", "--from", str(demo_db_path), "--to", pg_url]) == 0
    assert capsys.readouterr().out.endswith("迁移前后行数与内容哈希全部一致。\n")
    assert len(mirror.existing_objects(pg_url)) == 54


def test_an_older_shared_store_is_backed_up_before_it_is_upgraded(
    tmp_path, pg_url, fuyang, monkeypatch, capsys
):
    """As a file store is: opening a PostgreSQL store of an older schema writes a signed pg_dump
    backup (before-migration-vN, of that older schema) first, then upgrades it."""
    from analytics.store import manifest, pg_backup

    older = db.LATEST_VERSION - 1
    with monkeypatch.context() as m:  # a store made by the program one version ago
        m.setattr(db, "LATEST_VERSION", older)
        mirror.open_store(pg_url, fuyang).close()
    link = mirror.Shared(pg_url, duckdb.connect())
    assert link.schema_version() == older
    link.close()
    backups = tmp_path / "backups"
    monkeypatch.setenv("HAZARDS_BACKUP_DIR", str(backups))
    monkeypatch.setenv("HAZARDS_AUTO_DEMO", "0")
    assert main(["migrate", "--db", pg_url]) == 0
    assert f"数据库结构版本：{db.LATEST_VERSION}" in capsys.readouterr().out
    (folder,) = backups.glob(f"*before-migration-v{older}*")
    key = manifest.load_key(tmp_path / pg_backup.KEY_NAME)  # beside the backup folder
    read = manifest.read_manifest(folder, key, store=manifest.SHARED_STORE)
    assert read["schema_version"] == older and read["label"] == f"before-migration-v{older}"
    assert set(read["tables"]) == pg_backup.store_tables(older)
    assert main(["migrate", "--db", pg_url]) == 0  # up to date: no second backup
    assert len(list(backups.glob("*before-migration*"))) == 1


@pytest.mark.parametrize("where", ["folder", "key"])
def test_a_failed_backup_leaves_the_older_shared_store_as_it_was(
    tmp_path, pg_url, fuyang, monkeypatch, capsys, where
):
    """The backup folder, or the key beside it, cannot be made (a file stands in the way): the
    command says why in Chinese and the store keeps its older schema."""
    from analytics.store import pg_backup

    older = db.LATEST_VERSION - 1
    with monkeypatch.context() as m:
        m.setattr(db, "LATEST_VERSION", older)
        mirror.open_store(pg_url, fuyang).close()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be")
    backups = blocked if where == "folder" else blocked / "backups"
    monkeypatch.setenv("HAZARDS_BACKUP_DIR", str(backups))
    monkeypatch.setenv("HAZARDS_AUTO_DEMO", "0")
    assert main(["migrate", "--db", pg_url]) == 2
    why = (
        f"无法在 {blocked} 中创建备份文件夹：已存在同名文件"
        if where == "folder"
        else f"无法创建或读取备份密钥文件 {blocked / pg_backup.KEY_NAME}：已存在同名文件"
    )
    assert capsys.readouterr().err == f"错误：升级前备份失败，数据库未升级：{why}\n"
    link = mirror.Shared(pg_url, duckdb.connect())
    assert link.schema_version() == older  # not upgraded
    link.close()
