"""The attacks of issue 26, each file crafted here with h5py: refused, naming the object; the canary file beside
the upload (the server's secrets stand for it) never read; nothing left; the server still answers."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import stored_files, upload
from sqlalchemy import func, select
from test_uploads import no_upload_waiting

from golois.tournament.models import Network, NetworkVersion, Team, UploadCheck

CANARY = b"CANARY-7f3a9c1e-do-not-leak" * 160  # 4,320 bytes: room for any layer's bias


def _a_bias(h5: h5py.File) -> str:
    """The path of a dense or convolution bias in the file's weights."""
    found: list[str] = []
    h5["model_weights"].visit(lambda name: found.append(name) if name.endswith("bias:0") else None)
    return f"model_weights/{found[0]}"


def _replace_with_external(h5: h5py.File, target: str) -> None:
    path = _a_bias(h5)
    shape = h5[path].shape
    del h5[path]
    h5.create_dataset(path, shape, "float32", external=[(target, 0, 4 * int(np.prod(shape)))])


def craft(kind: str, good: Path, folder: Path, canary: Path) -> tuple[Path, str]:
    """`good` made hostile in one way; returns the file and what its refusal must say."""
    path = folder / f"{kind}.h5"
    shutil.copyfile(good, path)
    other = folder / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["data"] = np.frombuffer(CANARY[:400], dtype="float32")
    with h5py.File(path, "r+") as h5:
        if kind == "external storage of a secret":
            _replace_with_external(h5, str(canary))
            expected = "external storage"
        elif kind == "external storage of the password file":
            _replace_with_external(h5, "/etc/passwd")
            expected = "external storage"
        elif kind == "external storage by a relative path":
            _replace_with_external(h5, "../secret_key")
            expected = "external storage"
        elif kind == "external link":
            path_in = _a_bias(h5)
            del h5[path_in]
            h5[path_in] = h5py.ExternalLink(str(other), "/data")
            expected = "external link"
        elif kind == "soft link":  # the way to reach a dataset outside model_weights (a bomb: below)
            h5["model_weights/again"] = h5py.SoftLink("/model_weights")
            expected = "soft link"
        elif kind == "gzip bomb":
            h5.create_dataset("bomb", (750_000_000,), "float32", chunks=(1_000_000,), compression="gzip")
            expected = "expand to more than 16,000,000 bytes"
        elif kind == "virtual dataset":
            layout = h5py.VirtualLayout((100,), "float32")
            layout[:] = h5py.VirtualSource(str(other), "data", (100,))
            h5.create_virtual_dataset("virtual", layout)
            expected = "virtual dataset"
        elif kind == "object references":
            h5.create_dataset("refs", (1,), dtype=h5py.ref_dtype)[0] = h5["model_weights"].ref
            expected = "not numbers"
        elif kind == "unknown filter":
            h5.create_dataset("lzf", data=np.zeros(1000, "float32"), compression="lzf")
            expected = "filter"
        elif kind == "named datatype":
            h5["named"] = np.dtype("float32")
            expected = "named datatype"
        else:
            raise ValueError(kind)
    return path, expected


ATTACKS = ["external storage of a secret", "external storage of the password file",
           "external storage by a relative path", "external link", "soft link", "gzip bomb",
           "virtual dataset", "object references", "unknown filter", "named datatype"]


@pytest.mark.parametrize("kind", ATTACKS)
def test_a_hostile_file_is_refused_naming_the_object_and_reads_nothing_else(client, config, database, networks,
                                                                          tmp_path, kind):
    canary = config.data_dir / "canary"
    canary.write_bytes(CANARY)
    (config.data_dir.parent / "secret_key").write_bytes(CANARY)  # what "../secret_key" names beside the upload
    crafted, expected = craft(kind, networks["good0"], tmp_path, canary)
    response = upload(client, crafted, team="attacker")
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["accepted"] is False and expected in body["reason"], body["reason"]
    assert body["checks"][0]["name"] == "HDF5 file" and not body["checks"][0]["ok"]
    # The canary's bytes are nowhere: not in the answer, the stored files or the database.
    marker = CANARY[:27]
    assert marker not in response.data
    assert all(marker not in path.read_bytes() for path in stored_files(config))
    with database.session() as session:
        rows = session.scalars(select(UploadCheck)).all()
        assert all(marker.decode() not in json.dumps([r.reason, r.checks]) for r in rows)
        assert session.scalar(select(func.count()).select_from(NetworkVersion)) == 1  # the bundled network
        assert session.scalar(select(func.count()).select_from(Network)) == 1
        assert session.scalar(select(func.count()).select_from(Team)) == 1
    no_upload_waiting(config)
    assert [p for p in config.checks_dir.iterdir() if p.name != "slots"] == []
    assert client.get("/").status_code == 200


def test_the_sandbox_sees_the_upload_and_nothing_else(config, networks, tmp_path, test_sandbox):
    """A program in the sandbox, as the checker runs: the upload reads, its folder writes, nothing else."""
    if test_sandbox != "bubblewrap":
        pytest.skip("bubblewrap cannot make a sandbox on this machine")
    from golois.tournament.check_queue import hidden_paths
    from golois.tournament.sandbox import OUT, UPLOAD, choose_sandbox

    config.prepare()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    out = tmp_path / "out"
    out.mkdir()
    probe = f"""
import json, os, socket
def attempt(action):
    try:
        action()
        return "allowed"
    except Exception as error:
        return type(error).__name__
result = {{
    "upload": attempt(lambda: open({str(UPLOAD)!r}, "rb").read(8)),
    "write out": attempt(lambda: open({str(OUT / "x")!r}, "w").write("x")),
    "secret key": attempt(lambda: open({str(config.secret_key_file)!r}).read()),
    "data folder": attempt(lambda: os.listdir({str(config.data_dir)!r})),
    "database": attempt(lambda: open({str(config.data_dir / "golois.db")!r}, "rb").read(1)),
    "passwd": attempt(lambda: open("/etc/passwd").read()),
    "write usr": attempt(lambda: open("/usr/x", "w")),
    "network": attempt(lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2)),
    "uid": os.getuid(),
}}
print(json.dumps(result))
"""
    command = choose_sandbox("bubblewrap").wrap([sys.executable, "-I", "-c", probe], networks["good0"], out,
                                                list(hidden_paths(config)))
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    listener.close()
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["upload"] == "allowed" and result["write out"] == "allowed"
    for what in ("secret key", "data folder", "database", "passwd", "write usr", "network"):
        assert result[what] != "allowed", (what, result)
    assert result["uid"] == 65534
    assert (out / "x").read_text() == "x"


def test_without_bubblewrap_uploads_are_refused_and_the_site_says_why(make_config, networks, monkeypatch):
    from golois.tournament import sandbox
    from golois.tournament.app import create_app, stop_services

    monkeypatch.setattr(sandbox, "_bubblewrap_works", lambda: "bubblewrap is not installed (Debian: apt-get "
                                                              "install bubblewrap)")
    app = create_app(make_config(sandbox="auto"))
    client = app.test_client()
    response = upload(client, networks["good0"])
    assert response.status_code == 503 and "bubblewrap is not installed" in response.get_json()["reason"]
    page = client.get("/upload").get_data(as_text=True)
    assert 'id="closed"' in page and 'id="sandbox-banner"' in page
    assert list(app.extensions["golois_config"].incoming_dir.iterdir()) == []
    stop_services(app)
    with pytest.raises(Exception, match="GOLOIS_SANDBOX=bubblewrap"):
        create_app(make_config(sandbox="bubblewrap"))


def test_an_explicit_opt_out_checks_without_a_sandbox_and_the_site_says_so(make_config, networks):
    from golois.tournament.app import create_app, stop_services

    app = create_app(make_config(sandbox="none"))
    client = app.test_client()
    assert upload(client, networks["good0"]).status_code == 201
    assert "checked without a sandbox" in client.get("/").get_data(as_text=True)
    stop_services(app)
