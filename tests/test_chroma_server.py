"""The same code against a real Chroma server (`chroma run` on loopback)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import CORPUS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert exe, "the chroma CLI comes with chromadb"
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    import chromadb

    deadline = time.time() + 90
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("chroma run did not start: " + (data / "server.log").read_text()[-2000:])
            time.sleep(0.5)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_ingest_and_ask_through_server(chroma_server, tmp_path):
    from assistant import Assistant

    bot = Assistant(corpus=CORPUS, index_dir=tmp_path / "unused", chroma_url=chroma_server)
    report = bot.ingest()
    assert report.added == 1 and bot.store.count() == report.chunks_written
    assert bot.store.where.startswith("Chroma server 127.0.0.1:")
    assert not (tmp_path / "unused").exists()  # nothing written locally
    answer = bot.ask("How many civilians were killed in Ganja?")
    assert answer.claims[0].party == "azerbaijan"
    # a second client sees the same index and has nothing to do
    again = Assistant(corpus=CORPUS, chroma_url=chroma_server).ingest()
    assert (again.unchanged, again.chunks_written) == (1, 0)


def test_unreachable_server_is_a_clear_error(tmp_path):
    from assistant import Assistant
    from assistant.errors import IndexUnavailableError

    bot = Assistant(corpus=CORPUS, chroma_url=f"127.0.0.1:{_free_port()}")
    with pytest.raises(IndexUnavailableError, match="ASSISTANT_CHROMA_URL"):
        bot.ingest()
