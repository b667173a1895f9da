"""A throwaway PostgreSQL server for tests: Debian's server binaries, `initdb` in a temporary
directory, `pg_ctl` on a free loopback port, trust authentication, stopped at the end. As root
(CI), the server runs as the `postgres` system user, since PostgreSQL refuses to run as root."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def server_binaries() -> Path | None:
    """The newest installed server's bin directory (postgresql-NN), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres() -> Iterator[str]:
    """Start a server in a new directory under the system's temporary directory (pytest's own
    are private to root, out of the `postgres` user's reach); yields its URL (database
    `deskmetrics`, user `dm`)."""
    bindir = server_binaries()
    assert bindir is not None, "PostgreSQL server binaries are missing (apt-get install postgresql)"
    base = Path(tempfile.mkdtemp(prefix="deskmetrics-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*run_as, *cmd], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd[:1])} failed: {done.stderr or done.stdout}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "dm", "--auth=trust", "-E", "UTF8",
        "--locale=C")  # fmt: skip
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w",
        "start")  # fmt: skip
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "dm",
            "deskmetrics")  # fmt: skip
        yield f"postgres://dm@127.0.0.1:{port}/deskmetrics"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
