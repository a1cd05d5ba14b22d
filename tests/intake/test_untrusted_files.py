"""The trusted side never follows a link or opens a special file from a submission or a batch
folder (autograder/intake/safefiles.py): a link to the reference scores 0, a link to a root-only file
leaks nothing, /dev/zero and FIFOs do not hang, a link loop does not abort a batch. Loading is
linear in the size of a .py, and an over-deep cell is skipped alone.

Links, FIFOs and root-only files are made at test time in tmp folders."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.grading import batch, engine, result_files
from autograder.intake.submission import load_submission

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference" / "ps1_corr2d.py"
SOURCE_NB = ROOT / "assignments" / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb"
SECRET = "SECRETO-DEL-ROOT-8d1f0c"


def within(seconds, fn, *args, **kwargs):
    """fn(*args) run in a thread; fails the test (instead of hanging it) past `seconds`."""
    out = {}

    def run():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn.__name__} still running after {seconds} s (it hangs)"
    if "error" in out:
        raise out["error"]
    return out["value"], time.monotonic() - started


def everything(sub):
    return json.dumps([sub.fatal, sub.notes, sub.cells], ensure_ascii=False)


@pytest.fixture
def root_only_secret(tmp_path):
    """A 0600 root-owned file whose first line would be quoted by a syntax-error note."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a root-only file (the grader runs as root)")
    secret = tmp_path / "shadow"
    secret.write_text(f"{SECRET} = (\nroot:$6$hash:19000:0:99999:7:::\n")
    os.chown(secret, 0, 0)
    os.chmod(secret, 0o600)
    return secret


# ------------------------------------------------------------------ links

@pytest.mark.parametrize("target", [REFERENCE, SOURCE_NB], ids=["reference", "source_notebook"])
def test_a_link_to_the_solutions_is_refused_with_a_note(tmp_path, target):
    folder = tmp_path / "alumno"
    folder.mkdir()
    (folder / f"ps1_corr2d{target.suffix}").symlink_to(target)
    sub = load_submission(folder, "ps1_corr2d")
    assert sub.fatal is not None and "enlace simbólico" in sub.fatal and "no se sigue" in sub.fatal
    assert sub.cells == []
    assert "def corr2d" not in everything(sub)


def test_a_linked_solution_scores_zero(tmp_path):
    folder = tmp_path / "alumno"
    folder.mkdir()
    (folder / "ps1_corr2d.ipynb").symlink_to(SOURCE_NB)
    res = engine.grade(folder, "ps1_corr2d")
    assert res["score"] == 0 and res["tests"]
    assert "enlace simbólico" in res["output"]
    assert not res["extra_data"]["grader_error"]


def test_a_real_file_next_to_a_link_is_graded_and_the_link_noted(tmp_path):
    folder = tmp_path / "alumno"
    folder.mkdir()
    (folder / "ps1_corr2d.ipynb").symlink_to(SOURCE_NB)
    shutil.copy(ROOT / "examples" / "ps1_corr2d" / "con_errores.py", folder / "mio.py")
    sub = load_submission(folder, "ps1_corr2d")
    assert sub.fatal is None and sub.chosen.endswith("mio.py")
    assert any("«ps1_corr2d.ipynb» es un enlace simbólico" in n for n in sub.notes)


def test_a_link_given_as_the_submission_itself_is_refused(tmp_path):
    link = tmp_path / "entrega.py"
    link.symlink_to(REFERENCE)
    sub = load_submission(link)
    assert sub.fatal and "enlace simbólico" in sub.fatal and sub.cells == []


def test_the_suites_read_a_submission_in_the_sessions_language(tmp_path):
    from autograder.suites.loading import load_cells
    folder = tmp_path / "ana"
    folder.mkdir()
    (folder / "ps1_corr2d.ipynb").symlink_to(REFERENCE)
    shutil.copy(ROOT / "examples" / "ps1_corr2d" / "con_errores.py", folder / "mio.py")
    cells, notes, fatal = load_cells(str(folder), "ps1_corr2d", "en")
    assert cells and fatal is None
    assert any("“ps1_corr2d.ipynb” is a symbolic link" in n for n in notes), notes
    link = tmp_path / "entrega.py"
    link.symlink_to(REFERENCE)
    assert "is a symbolic link" in load_cells(str(link), "ps1_corr2d", "en")[2]


def test_links_in_the_folders_path_are_not_followed(tmp_path):
    """A linked sub-folder of a submission is not entered, even when it holds the file."""
    folder = tmp_path / "alumno"
    folder.mkdir()
    (folder / "sol").symlink_to(REFERENCE.parent, target_is_directory=True)
    sub = load_submission(folder, "ps1_corr2d")
    assert sub.fatal and "«sol» es un enlace simbólico" in sub.fatal
    assert "def corr2d" not in everything(sub)


def test_a_link_to_a_root_only_file_leaks_nothing(tmp_path, root_only_secret):
    folder = tmp_path / "alumno"
    folder.mkdir()
    (folder / "ps1_corr2d.py").symlink_to(root_only_secret)
    (tmp_path / "suelto.py").symlink_to(root_only_secret)
    for path in (folder, tmp_path / "suelto.py"):
        sub = load_submission(path, "ps1_corr2d")
        assert sub.fatal and "enlace simbólico" in sub.fatal
        assert SECRET not in everything(sub) and "root:" not in everything(sub)
    res = engine.grade(folder, "ps1_corr2d")
    assert SECRET not in json.dumps(res, ensure_ascii=False)


def test_the_secret_is_what_a_followed_link_would_have_leaked(root_only_secret):
    """Control for the test above: reading the file itself does quote its first line."""
    sub = load_submission(root_only_secret)
    assert SECRET in everything(sub)


# ------------------------------------------------------------------ special files

def test_dev_zero_and_fifos_give_a_note_without_hanging(tmp_path):
    folder = tmp_path / "alumno"
    folder.mkdir()
    (folder / "ps1_corr2d.ipynb").symlink_to("/dev/zero")
    os.mkfifo(folder / "otro.py")
    fifo = tmp_path / "tuberia.py"
    os.mkfifo(fifo)
    sub, took = within(10, load_submission, folder, "ps1_corr2d")
    assert took < 5
    assert sub.fatal and "enlace simbólico" in sub.fatal
    assert any("tubería" in n for n in [sub.fatal] + sub.notes)
    sub, took = within(10, load_submission, fifo)
    assert took < 5 and sub.fatal and "tubería (FIFO)" in sub.fatal
    # a device given directly (not through a link) is refused by its kind
    sub, took = within(10, load_submission, "/dev/zero")
    assert took < 5 and sub.fatal and "dispositivo" in sub.fatal
    # the batch side (discovery, resume hash) does not open them either
    for fn, arg in ((batch.discover_all, ([tmp_path], "ps1_corr2d")), (result_files.source_hash, (folder,)),
                    (result_files.source_hash, (fifo,))):
        _value, took = within(10, fn, *arg)
        assert took < 5


# ------------------------------------------------------------------ batches

@pytest.mark.sandbox
def test_a_link_loop_in_one_students_folder_does_not_abort_the_batch(tmp_path):
    batch_dir = tmp_path / "entregas"
    for student in ("ana", "beto"):
        (batch_dir / student).mkdir(parents=True)
        shutil.copy(ROOT / "examples" / "ps1_corr2d" / "perfecta.ipynb", batch_dir / student / "ps1_corr2d.ipynb")
    (batch_dir / "ana" / "a").symlink_to(".")
    (batch_dir / "ana" / "b").symlink_to("b")  # a link to itself
    (batch_dir / "carla").mkdir()
    (batch_dir / "carla" / "ps1_corr2d.ipynb").symlink_to(SOURCE_NB)
    os.mkfifo(batch_dir / "dora.py")
    (batch_dir / "eva.ipynb").symlink_to("/dev/zero")
    found = batch.discover_all([batch_dir], "ps1_corr2d")
    assert sorted(h for _p, h in found) == ["ana", "beto", "carla", "dora", "eva"]
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "autograder", "grade", "-a", "ps1_corr2d", "--jobs", "2",
                        "--out", str(out), str(batch_dir)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    res = {d.name: json.loads((d / "results.json").read_text()) for d in out.iterdir() if d.is_dir()}
    assert set(res) == {"ana", "beto", "carla", "dora", "eva"}
    assert res["beto"]["score"] == res["beto"]["max_score"] > 0
    assert res["ana"]["score"] == res["ana"]["max_score"]
    assert "«a» es un enlace simbólico" in res["ana"]["output"]
    assert res["carla"]["score"] == 0 and "enlace simbólico" in res["carla"]["output"]
    assert res["dora"]["score"] == 0 and "tubería" in res["dora"]["output"]
    assert res["eva"]["score"] == 0 and "enlace simbólico" in res["eva"]["output"]


# ------------------------------------------------------------------ loading size

def test_a_megabyte_of_cell_markers_loads_in_seconds(tmp_path):
    big = tmp_path / "grande.py"
    blocks = [f"# %%\nv={i % 10}\n" for i in range(100_000)]
    blocks[50_000] = "# %%\nprofundo = " + "-" * 100_000 + "1\n"        # too deep to compile
    blocks[60_000] = "# %%\nrecursivo = " + "a+" * 100_000 + "1\n"     # RecursionError
    blocks.append("# %%\ndef corr2d(X, K):\n    return X\n")
    big.write_text("".join(blocks))
    assert big.stat().st_size > 1_000_000
    sub, took = within(120, load_submission, big)
    assert took < 15, f"{took:.1f} s"  # ~1.5 s idle; the former padding loader needed gigabytes
    assert sub.fatal is None
    assert len(sub.cells) == 100_000 - 2 + 1
    deep = [n for n in sub.notes if "anidado demasiado profundo" in n]
    assert len(deep) == 2
    assert "bloque de la línea 100001" in deep[0] and "bloque de la línea 120001" in deep[1]
    last = sub.cells[-1]
    assert last[1].startswith("# %%\ndef corr2d") and last[3] == 2 * 100_000 + 1


@pytest.mark.sandbox
def test_block_line_numbers_reach_the_worker(tmp_path):
    """Notes and tracebacks name the file's line numbers, without padding the blocks."""
    import warnings

    from autograder.sandbox import Session
    src = tmp_path / "bloques.py"
    src.write_text("# %%\nimport torch\n\n# %%\nx = 1\n# %%\nfor i in range(3):\n    pass\n"
                   "# %%\ndef corr2d(X, K):\n    return 1 / 0\n")
    sub = load_submission(src)
    assert all(len(c[1].splitlines()) < 5 for c in sub.cells)  # no padding
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with Session(sub.cells, "ps1_corr2d") as s:
            from autograder.text.student_notes import note_text
            assert any("línea 7" in note_text("es", n) and "for" in note_text("es", n) for n in s.load_notes), \
                s.load_notes
            from autograder.sandbox import StudentError
            with pytest.raises(StudentError) as err:
                s.call("call_student", "corr2d", (1, 2), {}, timeout=30)
            assert "line 11" in err.value.traceback_text


def test_safefiles_reads_regular_files_only_and_at_most_the_cap(tmp_path):
    from autograder.intake import safefiles
    f = tmp_path / "a.py"
    f.write_bytes(b"x" * 3000)
    assert safefiles.read_regular(f, 3000) == b"x" * 3000
    with pytest.raises(safefiles.Refused) as err:
        safefiles.read_regular(f, 1024)
    assert err.value.kind == "too_big" and "demasiado grande" in err.value.text("es")
    (tmp_path / "link.py").symlink_to(f)
    (tmp_path / "dir").mkdir()
    for name, kind in (("link.py", "symlink"), ("dir", "directory"), ("nope.py", "missing")):
        with pytest.raises(safefiles.Refused) as err:
            safefiles.read_regular(tmp_path / name, 1 << 20)
        assert err.value.kind == kind
    # a link in the middle of a path below the root is not followed either
    (tmp_path / "sub").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(safefiles.Refused) as err:
        safefiles.read_under(str(tmp_path), ("sub", "a.py"), 1 << 20)
    assert err.value.kind == "symlink"
    assert safefiles.read_under(str(tmp_path), ("a.py",), 1 << 20) == b"x" * 3000


def test_a_refused_notebook_is_explained_in_the_readers_language(tmp_path):
    from autograder.nbgrader.snapshot import SnapshotError, read_regular
    (tmp_path / "ps1_corr2d.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    with pytest.raises(SnapshotError) as err:
        read_regular(tmp_path / "ps1_corr2d.ipynb")
    assert str(err.value) == err.value.text("es") and "es un enlace simbólico" in str(err.value)
    assert err.value.text("en").startswith("cannot read ") and "is a symbolic link" in err.value.text("en")
