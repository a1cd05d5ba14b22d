"""The hidden suites' points add up to each assignment's declaration (autograder/grading/registry.py), per
graded object, for every registered assignment; every test has a Spanish and an English title
beginning with its object's name and a colon."""
import os
from pathlib import Path

import pytest

from autograder.grading import registry, scoring
from autograder.suites.plugin import item_assignment, item_info

SUITES = Path(__file__).resolve().parents[2] / "autograder" / "suites"


class Items:
    def __init__(self):
        self.items = []

    def pytest_collection_finish(self, session):
        self.items = list(session.items)


@pytest.fixture(scope="module")
def collected():
    plugin = Items()
    files = sorted(str(p) for p in SUITES.glob("*/test_*.py"))
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(files + ["--collect-only", "-q", "-p", "autograder.suites.plugin",
                                    "-p", "no:cacheprovider", "-c", os.devnull,
                                    "--rootdir", str(SUITES)], plugins=[plugin])
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    assert int(code) == 0
    return [(item, item_info(item)) for item in plugin.items]


def test_every_test_has_points_and_bilingual_titles(collected):
    assert collected
    for item, info in collected:
        assert isinstance(info.get("points"), int) and info["points"] > 0, item.nodeid
        es, en = info.get("title_es"), info.get("title_en")
        assert es and en, item.nodeid
        obj = info.get("object")
        assert obj, item.nodeid
        assert es.startswith(obj + ":") and en.startswith(obj + ":"), item.nodeid
        assert info["assignment"] in scoring.POINTS, item.nodeid
        assert obj in scoring.POINTS[info["assignment"]], item.nodeid


def test_points_add_up_per_object(collected):
    totals = {}
    for item, info in collected:
        key = (info["assignment"], info["object"])
        totals[key] = totals.get(key, 0) + info["points"]
    expected = {(a.id, g.name): g.points for a in registry.assignments() for g in a.graded}
    assert totals == expected


def test_assignment_of_each_suite_file(collected):
    for item, _ in collected:
        name = Path(str(item.fspath)).name
        assert name.startswith(f"test_{item_assignment(item)}")
        assert Path(str(item.fspath)).parent.name == item_assignment(item)
