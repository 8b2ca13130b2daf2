"""Backups as an operator makes them: the 数据与设置 button and the backup/restore commands."""

from __future__ import annotations

import json
import os

from analytics.__main__ import main
from tests.conftest import app_as
from tests.pg_mode import store_conn


def test_the_page_backs_up_signed_and_cleans_a_killed_backup(demo_env, monkeypatch, tmp_path):
    out = tmp_path / "bk"
    monkeypatch.setenv("HAZARDS_BACKUP_DIR", str(out))
    monkeypatch.setenv("HAZARDS_EVIDENCE_DIR", str(tmp_path / "ev"))
    left = out / ".hazards-backup-20220101-000000-app.pid999999999.ab.partial"
    left.mkdir(parents=True)
    at = app_as("admin").run()
    at.switch_page("pages/data_settings.py").run()
    [button] = [b for b in at.button if b.label == "立即备份"]
    button.click().run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning if "残留" in w.value] == [
        "已清理上次未完成的备份残留：" + left.name
    ]
    [made] = [p for p in out.iterdir()]
    assert made.name.endswith("-app") and not left.exists()
    assert any(s.value == f"已备份到 {made}" for s in at.success)
    key = tmp_path / "hazards.backup-key"  # beside the database (demo_env's hazards.duckdb)
    assert key.stat().st_mode & 0o777 == 0o600
    table = [d.value for d in at.dataframe if "签名" in d.value.columns][0]
    assert table["签名"].tolist() == ["✓ 有效"] and table["隐患数"].tolist() == [231]


def test_the_commands_back_up_and_restore_with_the_key(tmp_path, demo_db_path, capsys):
    src = tmp_path / "src" / "hazards.duckdb"
    src.parent.mkdir()
    src.write_bytes(demo_db_path.read_bytes())
    out = tmp_path / "backups"
    (out / ".hazards-backup-20220101-000000-manual.pid999999999.ab.partial").mkdir(parents=True)
    assert main(["backup", "--db", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "已清理上次未完成的备份残留" in printed.err
    [folder] = list(out.iterdir())
    assert printed.out.splitlines()[0] == f"已备份到 {folder}"
    key = tmp_path / "src" / "hazards.backup-key"
    assert str(key) in printed.out and key.stat().st_mode & 0o777 == 0o600
    # another server: the backup folder and, separately, the key
    target = tmp_path / "other" / "hazards.duckdb"
    args = ["restore", str(folder), "--db", str(target)]
    assert main(args) == 2
    assert "找不到备份密钥文件" in capsys.readouterr().err and not target.exists()
    assert main([*args, "--key", str(key)]) == 0
    assert capsys.readouterr().out.startswith(f"已恢复到 {target}：隐患 231 条")
    conn = store_conn(target, read_only=True)
    assert conn.execute("SELECT count(*) FROM hazards").fetchone() == (231,)
    conn.close()
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["tables"]["hazards"]["rows"] = 230
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert main([*args, "--key", str(key), "--force"]) == 2
    assert "备份清单签名校验失败" in capsys.readouterr().err
    assert os.path.exists(target)  # the earlier restore stays as it was


def test_the_page_backs_up_the_shared_store_with_pg_dump(
    monkeypatch, tmp_path, demo_db_path, pg_url
):
    from analytics.store import mirror

    mirror.copy_from_file(demo_db_path, pg_url)
    out = tmp_path / "srv" / "bk"
    monkeypatch.setenv("HAZARDS_DATABASE_URL", pg_url)
    monkeypatch.setenv("HAZARDS_BACKUP_DIR", str(out))
    monkeypatch.setenv("HAZARDS_EVIDENCE_DIR", str(tmp_path / "ev"))
    at = app_as("admin").run()
    at.switch_page("pages/data_settings.py").run()
    [button] = [b for b in at.button if b.label == "立即备份"]
    button.click().run()
    assert not at.exception and not at.error
    [made] = list(out.iterdir())
    assert any(s.value == f"已备份到 {made}" for s in at.success)
    assert (made / "data" / "store.dump").read_bytes().startswith(b"PGDMP")
    assert json.loads((made / "manifest.json").read_text("utf-8"))["store"] == "postgresql"
    key = tmp_path / "srv" / "postgresql.backup-key"  # the backup folder setting's parent
    assert key.stat().st_mode & 0o777 == 0o600
    table = [d.value for d in at.dataframe if "签名" in d.value.columns][0]
    assert table["签名"].tolist() == ["✓ 有效"] and table["隐患数"].tolist() == [231]
    assert any("本页面不提供恢复" in c.value for c in at.caption)
