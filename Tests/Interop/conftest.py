"""Fixtures that run real `tablecast` processes for the interop tests.

The binary is `$TABLECAST_BIN`, or `.build/debug/tablecast` at the repository
root.  Every process listens on 127.0.0.1 with an ephemeral port (the port is
read from the `tablecast listening on http://127.0.0.1:PORT` stdout line) and
is stopped with SIGINT at teardown, where it must exit with code 0 within
15 s: graceful shutdown is part of what is tested.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional, Sequence

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tablecast_testkit import TablecastProcess  # noqa: E402

DEFAULT_TEST_TIMEOUT = 180  # seconds, for tests without their own timeout marker


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test time limit (pytest-timeout)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TEST_TIMEOUT))


def _stop_all(processes: List[TablecastProcess]) -> None:
    failures = []
    for proc in processes:
        if proc.stopped:
            continue
        try:
            proc.stop()
        except AssertionError as exc:
            failures.append(str(exc))
        finally:
            proc.kill()
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


class ServerFactory:
    """Starts `tablecast` processes and stops them (SIGINT, exit 0) at teardown."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.processes: List[TablecastProcess] = []

    def serve(self, journal: Optional[Path] = None, extra: Sequence[str] = (), label: str = "serve",
              idle: bool = True, env: Optional[dict] = None, preexec_fn=None) -> TablecastProcess:
        """`tablecast serve`; `--idle` (no simulated traffic) unless `idle` is False, so tests count events exactly."""
        if journal is None:
            journal = self.tmp_dir / f"journal-{len(self.processes)}.sqlite"
        proc = TablecastProcess(
            ["serve", "--host", "127.0.0.1", "--port", "0", "--journal", str(journal),
             *(["--idle"] if idle else []), *extra],
            label=label,
            env=env,
            preexec_fn=preexec_fn,
        )
        proc.journal_path = journal  # type: ignore[attr-defined]
        self.processes.append(proc)
        return proc.start()

    def replay(self, source: Path, extra: Sequence[str] = (), label: str = "replay") -> TablecastProcess:
        """`tablecast replay SOURCE`, journaling into a journal of its own."""
        journal = self.tmp_dir / f"replay-{len(self.processes)}.sqlite"
        proc = TablecastProcess(
            ["replay", str(source), "--host", "127.0.0.1", "--port", "0", "--journal", str(journal), *extra],
            label=label,
        )
        proc.journal_path = journal  # type: ignore[attr-defined]
        self.processes.append(proc)
        return proc.start()

    def conformance(self, label: str = "conformance-server") -> TablecastProcess:
        proc = TablecastProcess(["conformance-server", "--host", "127.0.0.1", "--port", "0"], label=label)
        self.processes.append(proc)
        return proc.start()

    def close(self) -> None:
        _stop_all(self.processes)


@pytest.fixture
def servers(tmp_path) -> ServerFactory:
    """Per-test factory: `servers.serve()` / `servers.conformance()`."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory):
    factory = ServerFactory(tmp_path_factory.mktemp("tablecast"))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def serve_server(module_servers) -> TablecastProcess:
    """One `tablecast serve` shared by the tests of a module."""
    return module_servers.serve(label="serve (module)")


@pytest.fixture(scope="module")
def conformance_server(module_servers) -> TablecastProcess:
    """One `tablecast conformance-server` shared by the tests of a module."""
    return module_servers.conformance()


@pytest.fixture
def redis_server(tmp_path):
    """A real `redis-server` on a free loopback port, stopped after the test."""
    from redis_kit import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()
