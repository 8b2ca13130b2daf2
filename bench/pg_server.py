"""A throwaway PostgreSQL 15 server on loopback, for the tests, the benchmarks and CI.

initdb and pg_ctl refuse to run as root, so as root they run as the ``postgres`` user (Debian's
postgresql-15 package makes it) in a temporary directory that user owns. The server listens on
127.0.0.1 only, trusts local connections (it holds nothing but test data) and is stopped again by
``stop()`` or ``python -m bench.pg_server stop DIR``.

    python -m bench.pg_server start DIR [PORT]   # prints the server's URL
    python -m bench.pg_server stop DIR
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    return (BIN / "initdb").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def start(folder: Path | None = None, port: int | None = None) -> tuple[str, Path]:
    """Start a new server; return its URL (to the ``postgres`` database) and its folder."""
    folder = Path(folder or tempfile.mkdtemp(prefix="hazards-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    port = port or free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        os.chmod(folder, 0o755)
        # the temporary directory's parents must be traversable by postgres
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_postgres(
            [str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        ),
        **run,
    )
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000"
    )
    subprocess.run(
        _as_postgres(
            [str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"]
            + ["start"]
        ),
        **run,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    (folder / "url").write_text(url, encoding="utf-8")
    return url, folder


def stop(folder: Path) -> None:
    subprocess.run(
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(Path(folder) / "data"), "-m", "fast", "stop"]),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "start":
        url, _ = start(Path(argv[1]), int(argv[2]) if len(argv) > 2 else None)
        print(url)
        return 0
    if len(argv) == 2 and argv[0] == "stop":
        stop(Path(argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
