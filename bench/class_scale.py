"""Scale bench of what runs after grading: report pages, similarity and the class page in a
browser, for a synthetic ps1 class of N students (bench/synthetic_class.py: honest styles,
typical mistakes, untouched stubs, planted copies, one renamed and reformatted).

For each N it measures, in one run:
  pages cold       `build` on a fresh results folder (every student page, the class page with
                   its similarity section, grades.csv; fingerprints not cached yet)
  regrade          one student's submission and results changed, `build` again (rewrites that
                   page, the class page and grades.csv; fingerprints of that student only)
  similarity cold  the similarity section alone, no fingerprint cached (read, fingerprint,
                   index, cluster); warm: with the cache `build` keeps
  planted found    every planted group is one cluster, ranked above anything else, and no
                   cluster holds a student who copied nobody
  browser          index.html in headless Chromium: load, then sort by total, then filter
and, as baselines in the same run: the previous heatmaps (one matplotlib figure per failing
test, from git's main) against the SVG heatmaps, and the all-pairs comparison that the
inverted index replaced (N <= 1,000 only: it is quadratic).

    .venv/bin/python bench/class_scale.py [--sizes 100,1000,10000] [--jobs 2] [--no-browser]

Record the figures in docs/benchmarks.md ("Report pages and similarity at scale").
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "assignments"), str(ROOT / "bench")]

import synthetic_class  # noqa: E402

from autograder.pages import build as pages  # noqa: E402
from autograder.pages import class_similarity, figures  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking"]


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def regrade_one(out, name):
    """What a regrade of `name` leaves behind: a changed source, meta.json and results.json."""
    from autograder.grading import result_files
    folder = os.path.join(out, name)
    with open(os.path.join(folder, result_files.META), encoding="utf-8") as f:
        meta = json.load(f)
    with open(meta["source"], "a", encoding="utf-8") as f:
        f.write("\n# entregado otra vez\n")
    res = synthetic_class.results_for("graded", ("off_by_one",))
    res["execution_time"] = 9.87  # differs from every synthetic result, so the page must change
    result_files.store(folder, meta["source"], synthetic_class.ASSIGNMENT, "es", res)


def planted_ok(out, groups):
    """Every planted group is one cluster, ranked above the rest (all clusters, not only the
    30 the page shows), and how many clustered students copied nobody."""
    from autograder.pages import similarity
    entries = pages.load(out)
    prints = class_similarity.fingerprint_sets(out, entries, synthetic_class.ASSIGNMENT)
    stub = set()
    for src in similarity.release_sources(synthetic_class.ASSIGNMENT, synthetic_class.OBJECTS):
        stub.update(similarity.fingerprints(src).hashes)
    found = similarity.clusters(similarity.score_pairs(prints, stub))
    clusters = [set(c.members) for c in found]
    planted = [set(g) for g in groups]
    copiers = set().union(*planted)
    ok = all(g in clusters[:len(planted)] for g in planted)
    strays = sum(len(c - copiers) for c in clusters)
    return ok, len(clusters), strays


def old_figures():
    """The previous figures module (matplotlib heatmaps), from git's main branch."""
    try:
        src = subprocess.run(["git", "show", "main:autograder/pages/figures.py"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    if "plt.subplots(1, len(panels)" not in src:
        return None
    mod = types.ModuleType("old_figures")
    exec(compile(src, "old_figures.py", "exec"), mod.__dict__)
    return mod


def heatmap_baseline(n=30):
    snap = synthetic_class.results_for("graded", ("off_by_one",))["tests"][0]["extra_data"]["tensors"]
    text = pages.text("es")
    new, _ = timed(lambda: [figures.tensor_panels(snap, text) for _ in range(n)])
    old = old_figures()
    if old is None:
        return new / n, None
    old.tensor_panels(snap, text)  # warm pyplot
    t_old, _ = timed(lambda: [old.tensor_panels(snap, text) for _ in range(n)])
    return new / n, t_old / n


def all_pairs(prints):
    """The comparison the inverted index replaced: every pair's intersection."""
    names = sorted(prints)
    found = 0
    for a, b in itertools.combinations(names, 2):
        common = len(prints[a] & prints[b])
        if common >= 8 and common / min(len(prints[a]), len(prints[b])) >= 0.6:
            found += 1
    return found


def browser_times(index, n):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not os.path.exists(CHROMIUM):
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = b.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        t = time.perf_counter()
        page.goto(Path(index).as_uri(), wait_until="load")
        page.wait_for_selector("table.grades tbody tr")
        load = time.perf_counter() - t
        nav = page.evaluate("() => { const e = performance.getEntriesByType('navigation')[0];"
                            " return e.loadEventEnd - e.startTime; }") / 1000
        cols = page.locator("table.grades thead th").count()
        t = time.perf_counter()
        page.locator("table.grades thead th").nth(cols - 3).locator("button").click()
        page.wait_for_selector("table.grades thead th[aria-sort=ascending]")
        sort = time.perf_counter() - t
        t = time.perf_counter()
        page.fill("input.js-filter", "alumno0")
        page.wait_for_function("() => document.querySelector('.js-status').textContent.length > 0")
        filt = time.perf_counter() - t
        size = os.path.getsize(index)
        b.close()
    return {"load_s": load, "load_event_s": nav, "sort_s": sort, "filter_s": filt,
            "bytes": size, "errors": errors}


def run_size(n, jobs, browser, root):
    work = os.path.join(root, f"n{n}")
    t_synth, (out, groups) = timed(synthetic_class.write, n, work)
    row = {"n": n, "synth_s": t_synth}
    row["pages_cold_s"], written = timed(pages.build, out, jobs=jobs)
    assert len(written["rebuilt"]) == n
    victim = sorted(os.listdir(out))[n // 2]
    regrade_one(out, victim)
    row["regrade_s"], written = timed(pages.build, out, jobs=jobs)
    row["regrade_rebuilt"] = len(written["rebuilt"])
    # the same in a fresh process, as `autograder report` (imports included)
    regrade_one(out, sorted(os.listdir(out))[n // 3])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "assignments")]))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "report", out, "--jobs", str(jobs)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    row["regrade_cli_s"] = time.perf_counter() - t
    for d in os.listdir(out):
        try:
            os.unlink(os.path.join(out, d, class_similarity.CACHE))
        except OSError:
            pass
    entries = pages.load(out)
    row["similarity_cold_s"], _ = timed(class_similarity.section, out, entries,
                                        synthetic_class.ASSIGNMENT, jobs)
    row["similarity_warm_s"], _ = timed(class_similarity.section, out, entries,
                                        synthetic_class.ASSIGNMENT, jobs)
    row["planted_found"], row["clusters"], row["stray_members"] = planted_ok(out, groups)
    row["planted_groups"] = len(groups)
    if n <= 1000:
        prints = class_similarity.fingerprint_sets(out, entries, synthetic_class.ASSIGNMENT)
        row["all_pairs_s"], row["all_pairs_flagged"] = timed(all_pairs, prints)
    if browser:
        row["browser"] = browser_times(os.path.join(out, pages.INDEX), n)
    shutil.rmtree(work, ignore_errors=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    new_fig, old_fig = heatmap_baseline()
    print(f"heatmap per failing test: svg {1000 * new_fig:.1f} ms"
          + (f", matplotlib (main) {1000 * old_fig:.1f} ms, ratio {old_fig / new_fig:.0f}x" if old_fig else ""))
    with tempfile.TemporaryDirectory(prefix="class_scale.") as root:
        for n in sizes:
            row = run_size(n, args.jobs, not args.no_browser, root)
            print(f"\nN = {n} (jobs {args.jobs})")
            print(f"  pages cold           {row['pages_cold_s']:7.2f} s  "
                  f"({1000 * row['pages_cold_s'] / n:.1f} ms/student)")
            print(f"  regrade of one       {row['regrade_s']:7.2f} s  "
                  f"(student pages rewritten: {row['regrade_rebuilt']}; "
                  f"cold/regrade {row['pages_cold_s'] / row['regrade_s']:.0f}x)")
            print(f"  regrade, CLI         {row['regrade_cli_s']:7.2f} s  (`autograder report` in a fresh process)")
            print(f"  similarity cold      {row['similarity_cold_s']:7.2f} s  "
                  f"warm (cached) {row['similarity_warm_s']:.2f} s")
            if "all_pairs_s" in row:
                print(f"  all-pairs baseline   {row['all_pairs_s']:7.2f} s  on the same fingerprints, "
                      f"{row['all_pairs_flagged']} pairs flagged (no common-code filter)")
            print(f"  planted groups       {row['planted_groups']} all found and ranked first: {row['planted_found']}; "
                  f"clusters {row['clusters']}, members who copied nobody: {row['stray_members']}")
            b = row.get("browser")
            if b:
                print(f"  browser              load {b['load_s']:.2f} s (load event {b['load_event_s']:.2f} s), "
                      f"sort {b['sort_s']:.2f} s, filter {b['filter_s']:.2f} s, index.html "
                      f"{b['bytes'] / 1e6:.1f} MB, page errors {len(b['errors'])}")
            elif not args.no_browser:
                print("  browser              skipped (no playwright or no /usr/bin/chromium)")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
