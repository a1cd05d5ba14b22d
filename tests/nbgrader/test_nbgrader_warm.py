"""The course's warm grading service (autograder/nbgrader/warm.py): one `nbgrader autograde` per
student, as formgrader's Autograde button runs it, pays the grading interpreter and the kernels'
sandbox once, not per click. Real nbgrader, real kernels (root and bubblewrap: the kernels'
zygote of the root mode is what the service keeps)."""
import json
import os
import stat
import time

import pytest
from nbgrader_course import grade_id, nbgrader, released_course

from autograder.grading.scoring import POINTS
from autograder.nbgrader import warm_client as nbgrader_warm

AID = "ps1_corr2d"

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader,
              pytest.mark.sandbox("root")]   # the kernels' zygote the service keeps is the root mode's


def _scores(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnn-humai") as gb:
        sub = gb.find_submission(AID, student)
        return {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}


def test_one_click_per_student_reuses_the_warm_service(tmp_path):
    course, env, release, solutions = released_course(tmp_path, AID)
    env["AUTOGRADER_WARM_SECONDS"] = "120"
    store = course / "autograded" / ".autograder"
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        if grade_id(cell) in solutions:
            cell["source"] = solutions[grade_id(cell)]
    for student in ("ana", "beto", "caro"):
        folder = course / "submitted" / student / AID
        folder.mkdir(parents=True)
        nb["metadata"]["student"] = student                     # other bytes: no cached grading
        (folder / f"{AID}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        (folder / "timestamp.txt").write_text("2024-05-01 10:00:00.000000 UTC")
    try:
        nbgrader(course, "autograde", AID, "--student", "ana", env=env)
        first = nbgrader_warm.status(store)
        assert first is not None                                   # it outlives the command
        assert stat.S_IMODE(store.stat().st_mode) == 0o700
        assert stat.S_IMODE((store / nbgrader_warm.SOCKET).lstat().st_mode) == 0o600
        nbgrader(course, "autograde", AID, "--student", "beto", env=env)
        assert nbgrader_warm.status(store)["pid"] == first["pid"]   # the same service graded beto
        full = {f"test_{o}": float(p) for o, p in POINTS[AID].items()}
        assert _scores(course, "ana") == full and _scores(course, "beto") == full
        for student in ("ana", "beto"):                              # kernels ran: outputs are there
            out = json.loads((course / "autograded" / student / AID / f"{AID}.ipynb").read_text())
            assert out["metadata"]["autograder"]["confinement"] == "bwrap-root"
            assert any(o.get("output_type") == "display_data" for c in out["cells"] for o in c.get("outputs", []))

        # other settings (here the language): not that service's to serve, a new one
        nbgrader(course, "autograde", AID, "--student", "caro", env=dict(env, AUTOGRADER_LANG="en"))
        second = nbgrader_warm.status(store)
        assert second["pid"] != first["pid"] and second["key"] != first["key"]
        assert _scores(course, "caro") == full
        with pytest.raises(ProcessLookupError):
            os.kill(first["pid"], 0)                                 # the stale one stopped

        # another account cannot reach it (the store is 0700)
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(65534)
                os.setuid(65534)
                os._exit(0 if nbgrader_warm.status(store) is None else 1)
            except BaseException:  # noqa: BLE001 - the forked child must never return into pytest
                os._exit(2)
        assert os.waitpid(pid, 0)[1] == 0
    finally:
        nbgrader_warm.stop(store)
    for _ in range(50):
        if nbgrader_warm.status(store) is None and not (store / nbgrader_warm.SOCKET).exists():
            break
        time.sleep(0.2)
    assert nbgrader_warm.status(store) is None and not (store / nbgrader_warm.SOCKET).exists()


def test_switched_off_there_is_no_service_and_nothing_to_stop(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_WARM_SECONDS", "0")
    assert nbgrader_warm.client(tmp_path / "store") is None
    assert nbgrader_warm.status(tmp_path / "nowhere") is None and not nbgrader_warm.stop(tmp_path / "nowhere")
