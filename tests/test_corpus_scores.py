"""Every file under tests/corpus keeps the scores it had when tests/corpus_scores.json was recorded
(per test: graded object, score, max score, recognised misconception; plus the total). A refactor
of the grader must leave them all unchanged; a deliberate change of a verdict re-records the
baseline (`python tests/corpus_scores.py --record`) in the same commit, with the reason."""
import json
import os

import pytest

import corpus_scores


@pytest.mark.slow
def test_every_corpus_file_keeps_its_scores():
    baseline = json.loads(corpus_scores.BASELINE.read_text())
    graded = corpus_scores.grade_all(env=dict(os.environ))
    changed = {k: {"before": baseline.get(k), "now": graded.get(k)}
               for k in sorted(set(baseline) | set(graded)) if baseline.get(k) != graded.get(k)}
    assert not changed, json.dumps(changed, indent=1, ensure_ascii=False)[:6000]
    assert len(graded) >= 100  # the whole corpus was graded, not a subset
