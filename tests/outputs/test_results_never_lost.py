"""A finished result is never lost or clobbered, --overwrite deletes nothing but an Amparo result,
--resume writes into no other kind of folder, and a brief reads nothing outside its result folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.presentation.report import ReportError, write_report
from sim.results.run_folder import OutputError, remove_abandoned_staging, result_kind, write_atomically

ROOT = Path(__file__).resolve().parents[2]
SHORT = (ROOT / "tests" / "data" / "short_warmup.toml").as_posix()


def amparo(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("amparo")
    command = [str(script), *args] if script.exists() else [sys.executable, str(ROOT / "cli.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300)


def fake_result(folder: Path, label: str, kind: str = "run") -> None:
    folder.mkdir()
    (folder / "label.txt").write_text(label)
    manifest = {"kind": kind, "amparo_version": "0.1.0", "complete": True}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def filler(label: str):
    def fill(folder: Path) -> None:
        (folder / "label.txt").write_text(label)
        (folder / "manifest.json").write_text(json.dumps({"kind": "run", "amparo_version": "0.1.0"}))
    return fill


def test_a_result_written_to_a_taken_name_is_kept_beside_it(tmp_path):
    target = tmp_path / "result"
    write_atomically(target, filler("first"))
    with pytest.raises(OutputError, match="result-2 instead"):
        write_atomically(target, filler("second"))
    assert (target / "label.txt").read_text() == "first"
    assert (tmp_path / "result-2" / "label.txt").read_text() == "second"


def test_default_names_are_made_unique_without_an_error(tmp_path):
    target = tmp_path / "baseline-20081231-120000"
    for label in ("one", "two", "three"):
        write_atomically(target, filler(label), unique=True)
    labels = sorted((folder / "label.txt").read_text() for folder in tmp_path.iterdir())
    assert labels == ["one", "three", "two"]


def test_overwrite_replaces_an_amparo_result_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "result"
    fake_result(target, "old")
    write_atomically(target, filler("new"), overwrite=True)
    assert (target / "label.txt").read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["result"]


def test_overwrite_never_deletes_a_folder_that_is_not_an_amparo_result(tmp_path):
    decoy = tmp_path / "holiday-photos"
    decoy.mkdir()
    (decoy / "beach.jpg").write_bytes(b"precious")
    (decoy / "manifest.json").write_text('{"kind": "run"}')  # no amparo_version: not ours
    with pytest.raises(OutputError, match="holiday-photos-2 instead"):
        write_atomically(decoy, filler("new"), overwrite=True)
    assert (decoy / "beach.jpg").read_bytes() == b"precious"


def test_overwrite_on_the_command_line_refuses_a_decoy_before_any_work(tmp_path):
    decoy = tmp_path / "home"
    decoy.mkdir()
    (decoy / "notes.txt").write_text("keep me")
    done = amparo("run", SHORT, "-r", "1", "--years", "0.01", "--out", str(decoy), "--overwrite")
    assert done.returncode == 1
    assert "is not an Amparo result folder" in done.stderr and "Traceback" not in done.stderr
    assert sorted(path.name for path in decoy.iterdir()) == ["notes.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["home"]


def test_a_staging_folder_of_a_dead_process_is_removed_and_a_live_one_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    abandoned = tmp_path / f".result.partial-{int(dead.stdout)}"
    live = tmp_path / f".other.partial-{os.getpid()}"
    for folder in (abandoned, live):
        folder.mkdir()
        (folder / "summary.csv").write_text("x\n")
    user_folder = tmp_path / ".my.partial-notes"
    user_folder.mkdir()
    assert remove_abandoned_staging(tmp_path) == [abandoned]
    assert live.exists() and user_folder.exists() and not abandoned.exists()


@pytest.mark.slow
def test_two_runs_to_one_folder_both_keep_their_result(tmp_path):
    out = tmp_path / "same"
    command = [str(Path(sys.executable).with_name("amparo"))]
    if not Path(command[0]).exists():
        command = [sys.executable, str(ROOT / "cli.py")]
    processes = [subprocess.Popen([*command, "run", SHORT, "-r", "1", "--years", "0.02", "--seed", str(seed),
                                   "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    finished = [(process.wait(timeout=300), process.stderr.read()) for process in processes]
    folders = sorted(path.name for path in tmp_path.iterdir())
    if folders == ["same"]:  # one finished before the other checked the folder: a clean refusal
        assert sorted(code for code, _ in finished) == [0, 1]
        assert any("a result already exists here" in error for _, error in finished)
    else:
        assert folders == ["same", "same-2"]
        assert sorted(code for code, _ in finished) == [0, 1]
        assert any("same-2 instead" in error for _, error in finished)
        seeds = {json.loads((tmp_path / name / "manifest.json").read_text())["base_seed"] for name in folders}
        assert seeds == {1, 2}


@pytest.mark.slow
def test_resume_refuses_a_folder_of_another_kind(tmp_path):
    finished = tmp_path / "finished-run"
    fake_result(finished, "a run")
    before = (finished / "manifest.json").read_bytes()
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'title = "s"\nbase = "{SHORT}"\ndesign = "grid"\nreplications = 1\nyears = 0.01\n'
                     "[levers]\nalternative_care_places = [20, 40]\n")
    for arguments in (["sweep", str(sweep), "--out", str(finished), "--resume"],
                      ["calibrate", "--out", str(finished), "--resume", "--budget", "8",
                       "--accepted", "4"]):
        done = amparo(*arguments)
        assert done.returncode == 1, done.stderr
        assert "is a run result" in done.stderr and "Traceback" not in done.stderr
    assert (finished / "manifest.json").read_bytes() == before
    assert sorted(path.name for path in finished.iterdir()) == ["label.txt", "manifest.json"]


def test_result_kind_reads_only_real_amparo_manifests(tmp_path):
    fake_result(tmp_path / "real", "x", kind="sweep")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "empty").mkdir()
    assert result_kind(tmp_path / "real") == "sweep"
    assert result_kind(tmp_path / "link") is None
    assert result_kind(tmp_path / "empty") is None


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "baseline"
    done = amparo("run", SHORT, "-r", "1", "--years", "0.05", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def copy_of(folder: Path, target: Path) -> Path:
    subprocess.run(["cp", "-r", str(folder), str(target)], check=True)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("where", ["chart", "charts_folder", "table"])
def test_a_brief_never_embeds_what_a_symlink_points_to(run_folder, tmp_path, where):
    secret = tmp_path / "private.txt"
    secret.write_bytes(b"SECRET-TOKEN-1234")
    folder = copy_of(run_folder, tmp_path / "received")
    if where == "chart":
        chart = sorted((folder / "charts").glob("*.png"))[0]
        chart.unlink()
        chart.symlink_to(secret)
    elif where == "charts_folder":
        subprocess.run(["rm", "-r", str(folder / "charts")], check=True)
        (folder / "charts").symlink_to(tmp_path)
    else:
        (folder / "summary.csv").unlink()
        (folder / "summary.csv").symlink_to(secret)
    out = tmp_path / "brief" / "brief.html"
    with pytest.raises(ReportError, match="symbolic link"):
        write_report([folder], out)
    assert not (tmp_path / "brief").exists() or not any((tmp_path / "brief").iterdir())


def test_a_brief_refuses_a_special_file_in_the_folder(run_folder, tmp_path):
    folder = copy_of(run_folder, tmp_path / "received")
    os.mkfifo(folder / "charts" / "pipe.png")
    with pytest.raises(ReportError, match="not a regular file"):
        write_report([folder], tmp_path / "brief.html")


def test_report_overwrite_never_deletes_a_folder_of_other_files(run_folder, tmp_path):
    images = tmp_path / "brief_charts"
    images.mkdir()
    (images / "thesis.docx").write_text("mine")
    with pytest.raises(ReportError, match="more than the report's PNG images"):
        write_report([run_folder], tmp_path / "brief.html", overwrite=True)
    assert (images / "thesis.docx").read_text() == "mine"
