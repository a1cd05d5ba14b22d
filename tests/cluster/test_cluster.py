"""`autograder grade --scheduler`: grading on a real Dask cluster on 127.0.0.1.

Two clusters are started once for the module with the engine's own entry points (`dask
scheduler`, `dask worker`), on random ports:

- "real": two workers grading with the real hidden suites (preloaded, torch imported once);
  one of them offers a fake `GPU` resource, for the routing test.
- "fake": two workers whose engine uses the stand-in suite of fake_suite.py (the developer hooks
  AUTOGRADER_SUITES_DIR / AUTOGRADER_SUITES_PLUGIN). Its GRADER_CRASH marker makes the grading
  process SIGKILL itself; since a cluster worker grades in its own process, that kills the
  worker process: a real "poison" submission, without any test-only code in the grader. SLEEP
  makes a task slow enough to kill a worker while it runs.
Workers run under a nanny (the default), which restarts a killed worker process.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")

from fake_suite import fake_env, sub  # noqa: E402

from autograder.cluster import dask_batch as cluster  # noqa: E402
from autograder.grading import batch, result_files  # noqa: E402
from autograder.grading import results as store  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ps1_corr2d"
MUTANTS = ROOT / "tests" / "corpus" / "mutants" / "ps1_corr2d"
BAD = ROOT / "tests" / "corpus" / "bad_inputs"
DASK = str(Path(sys.executable).with_name("dask"))
START_TIMEOUT = 180


def _start(cmd, env, log):
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


class LocalhostCluster:
    def __init__(self, tmp, env, worker_args, preload=True):
        self.tmp, self.procs = tmp, []
        tmp.mkdir(parents=True, exist_ok=True)
        self.log = open(tmp / "cluster.log", "w")  # noqa: SIM115 (the processes' log, closed with them)
        sched_file = tmp / "scheduler.json"
        # one task per worker thread: a dying worker takes down only the task it runs
        env = dict(env, DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0")
        self.procs.append(_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(sched_file)], env, self.log))
        deadline = time.time() + 60
        while not sched_file.exists() or not sched_file.read_text().strip().endswith("}"):
            assert time.time() < deadline, (tmp / "cluster.log").read_text()
            time.sleep(0.2)
        self.address = json.loads(sched_file.read_text())["address"]
        for name, extra in worker_args:
            cmd = [DASK, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                   "--no-dashboard", "--name", name, *extra]
            if preload:
                cmd += ["--preload", "autograder.cluster"]
            self.procs.append(_start(cmd, env, self.log))
        self.client = distributed.Client(self.address, timeout=60, set_as_default=False)
        self.client.wait_for_workers(len(worker_args), timeout=START_TIMEOUT)

    def workers(self):
        """{worker name: (address, resources)}"""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return {w["name"]: (addr, w.get("resources") or {}) for addr, w in info.items()}

    def close(self):
        try:
            self.client.close()
        except Exception:  # noqa: BLE001
            pass
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        # a worker's graceful close can wait out its own timeouts (15 s and more) once the others
        # are gone; nothing of the test is left to save, so the stragglers are killed
        deadline = time.monotonic() + 3
        for p in reversed(self.procs):
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
        self.log.close()


def _repo_env():
    paths = [str(ROOT), str(ROOT / "assignments")]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory):
    c = LocalhostCluster(tmp_path_factory.mktemp("real"), _repo_env(),
                         [("cpu-worker", []), ("gpu-worker", ["--resources", "GPU=1"])])
    yield c
    c.close()


@pytest.fixture(scope="module")
def fake_cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fake")
    env = fake_env(tmp)
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(ROOT / "assignments")])
    env["FAKE_SLEEP"] = "2.5"
    c = LocalhostCluster(tmp / "cluster", env, [("a", []), ("b", [])], preload=False)
    c.env = env
    yield c
    c.close()


def _plan(paths, out, assignment="ps1_corr2d"):
    items = batch.discover_all([str(p) for p in paths], assignment)
    return batch.plan(items, str(out), assignment, "es")


def _comparable(res):
    res = json.loads(json.dumps(res))
    res.pop("execution_time", None)
    res.get("extra_data", {}).pop("student_seconds", None)  # a timing field, like execution_time
    return res


# ---------------------------------------------------------------- no cluster needed

def test_training_tasks_ask_for_a_gpu_only_on_cuda():
    assert cluster.task_resources("ps5_lenet", "cuda") == {"GPU": 1}
    assert cluster.task_resources("ps5_lenet", "cpu") is None
    assert cluster.task_resources("ps5_lenet", "auto") is None
    assert cluster.task_resources("ps1_corr2d", "cuda") is None


def test_payload_is_content_and_refuses_links(tmp_path):
    real = tmp_path / "entrega.py"
    real.write_text("x = 1\n")
    p = cluster.make_payload(str(real), "ps1_corr2d")
    assert p == {"kind": "file", "name": "entrega.py", "data": b"x = 1\n"}
    (tmp_path / "link.py").symlink_to(real)
    with pytest.raises(cluster.Unreadable):
        cluster.make_payload(str(tmp_path / "link.py"), "ps1_corr2d")
    folder = cluster.make_payload(str(BAD / "same_stem"), "ps1_corr2d")
    assert folder["kind"] == "folder" and folder["chosen"] == "copia/ps1_corr2d.ipynb"
    assert folder["others"] == ["ps1_corr2d.py"]
    # the worker side rebuilds it under a fresh folder, never outside it
    out = tmp_path / "w"
    out.mkdir()
    evil = dict(folder, others=["../escape.py", "/abs.py", "ok/../../x.py"])
    root = cluster.materialize(evil, str(out))
    chosen = BAD / "same_stem" / "copia" / "ps1_corr2d.ipynb"
    assert (Path(root) / "copia" / "ps1_corr2d.ipynb").read_bytes() == chosen.read_bytes()
    assert sorted(str(f.relative_to(root)) for f in Path(root).rglob("*") if f.is_file()) == \
        ["copia/ps1_corr2d.ipynb"]
    assert not (tmp_path / "escape.py").exists() and not (out / "escape.py").exists()


@pytest.mark.slow
def test_local_grading_never_imports_dask():
    code = ("import sys, autograder.cli.main, autograder.grading.batch, autograder.grading.engine, "
            "autograder.cluster.dask_batch; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]; "
            "assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], env=_repo_env(), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr


def test_unreachable_scheduler_is_reported_and_writes_nothing(tmp_path):
    p = _plan([EXAMPLES / "con_errores.py"], tmp_path / "out")
    with pytest.raises(cluster.SchedulerUnreachable):
        cluster.run(p.todo, "ps1_corr2d", "es", "cpu", "tcp://127.0.0.1:1", timeout=2)
    assert not (tmp_path / "out" / "con_errores").exists()


# ---------------------------------------------------------------- real suites

@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.sandbox
def test_cluster_grades_like_local_mode(real_cluster, tmp_path):
    subs = [EXAMPLES / "con_errores.py", EXAMPLES / "sin_resolver.ipynb",
            ROOT / "assignments" / "source" / "ps1_corr2d" / "ps1_corr2d.ipynb",
            MUTANTS / "learn_kernel_no_zero_grad.py", BAD / "same_stem", BAD / "latin1.py"]
    env = _repo_env()
    outs = {}
    for mode, extra in (("local", ["--jobs", "2"]), ("cluster", ["--scheduler", real_cluster.address])):
        out = tmp_path / mode
        r = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "ps1_corr2d",
                            "--out", str(out), *extra, *map(str, subs)],
                           env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        outs[mode] = {d.name: json.loads((d / "results.json").read_text())
                      for d in out.iterdir() if d.is_dir()}
    assert len(outs["local"]) == len(subs)
    assert outs["cluster"].keys() == outs["local"].keys()
    for name, res in outs["local"].items():
        assert _comparable(outs["cluster"][name]) == _comparable(res), name
    assert outs["cluster"]["ps1_corr2d"]["score"] == 20  # the reference notebook
    assert "varios archivos" in outs["cluster"]["same_stem"]["output"]  # the folder's note survives


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.sandbox
def test_gpu_tasks_run_only_on_the_gpu_worker(real_cluster, tmp_path):
    workers = real_cluster.workers()
    gpu_addr = workers["gpu-worker"][0]
    assert workers["cpu-worker"][1] == {}
    p = _plan([MUTANTS / "corr2d_stub.py", MUTANTS / "corr2d_builtin.py", EXAMPLES / "con_errores.py",
               MUTANTS / "corr2d_off_by_one.py"], tmp_path / "out")
    # ps1 never trains: ask for the GPU explicitly, as ps5 on cuda does (task_resources above)
    cluster.run(p.todo, "ps1_corr2d", "es", "cpu", real_cluster.address, resources={"GPU": 1})
    assert [j.worker for j in p.jobs] == [gpu_addr] * 4
    assert all(j.state == "graded" for j in p.jobs)
    # grading happens in the worker process, so its sandbox zygote serves every task
    zygotes = {j.zygote for j in p.jobs}
    assert len(zygotes) == 1


# ---------------------------------------------------------------- faults (stand-in suite)

def _count_writes(monkeypatch):
    writes = []
    real = result_files.store

    def counting(folder, *a, **kw):
        writes.append(os.path.basename(folder))
        return real(folder, *a, **kw)
    monkeypatch.setattr(result_files, "store", counting)
    return writes


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.sandbox
def test_worker_killed_mid_batch_loses_nothing(fake_cluster, tmp_path, monkeypatch):
    fake_cluster.client.wait_for_workers(2, timeout=START_TIMEOUT)
    subs = [sub(tmp_path / "in" / f"s{i}.py", "SLEEP corr2d_OK conv2d_strict_OK learn_kernel_OK")
            for i in range(4)]
    p = _plan(subs, tmp_path / "out")
    writes = _count_writes(monkeypatch)
    done = threading.Thread(target=cluster.run, args=(p.todo, "ps1_corr2d", "es", "cpu",
                                                      fake_cluster.address))
    done.start()
    deadline = time.time() + 60
    victim = None
    while victim is None:
        assert time.time() < deadline, "no task started"
        busy = [w for w, keys in fake_cluster.client.processing().items() if keys]
        if busy:
            victim = busy[0]
        time.sleep(0.2)
    time.sleep(1.0)  # mid-task
    pid = fake_cluster.client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    done.join(300)
    assert not done.is_alive()
    assert sorted(writes) == sorted(j.name for j in p.jobs)  # one write per submission
    for j in p.jobs:
        assert j.state == "graded" and j.results["score"] == 20, (j.name, j.results)
        meta = json.loads(Path(j.folder, "meta.json").read_text())
        assert meta["status"] == "complete"
        assert not store.validate(json.loads(Path(j.folder, "results.json").read_text()))


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.sandbox
def test_killed_client_resumes_from_results_on_disk(fake_cluster, tmp_path):
    fake_cluster.client.wait_for_workers(2, timeout=START_TIMEOUT)
    subs = [sub(tmp_path / "in" / f"r{i}.py", "SLEEP corr2d_OK") for i in range(4)]
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autograder", "grade", "--assignment", "ps1_corr2d", "--out", str(out),
           "--scheduler", fake_cluster.address, *map(str, subs)]
    first = subprocess.Popen(cmd, env=fake_cluster.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    def complete():     # meta.json says so last, after results.json (result_files.store)
        return {d.name for d in out.glob("*") if d.is_dir()
                if (json.loads((d / "meta.json").read_text()) if (d / "meta.json").is_file() else {})
                .get("status") == "complete"}
    deadline = time.time() + 120
    while not complete():
        assert time.time() < deadline and first.poll() is None, "no result before the kill"
        time.sleep(0.1)
    first.kill()
    first.wait()
    done_before = complete()
    assert 0 < len(done_before) < len(subs)
    again = subprocess.run(cmd, env=fake_cluster.env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "previa" in again.stdout  # the table marks what the first run finished
    folders = [d for d in out.iterdir() if d.is_dir()]  # beside them: the report pages
    for d in folders:
        meta = json.loads((d / "meta.json").read_text())
        assert meta["status"] == "complete" and meta["score"] == 10, (d.name, meta)
    assert len(folders) == len(subs)
    # the first run's results were kept, not rewritten
    resumed = [ln.split()[0] for ln in again.stdout.splitlines() if ln.rstrip().endswith("previa")]
    assert set(resumed) == done_before


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.sandbox
def test_poison_submission_is_stopped_with_an_explained_result(fake_cluster, tmp_path, monkeypatch):
    fake_cluster.client.wait_for_workers(2, timeout=START_TIMEOUT)
    good = [sub(tmp_path / "in" / f"ok{i}.py", "corr2d_OK conv2d_strict_OK") for i in range(3)]
    poison = sub(tmp_path / "in" / "veneno.py", "GRADER_CRASH")
    p = _plan(good + [poison], tmp_path / "out")
    writes = _count_writes(monkeypatch)
    started = time.time()
    cluster.run(p.todo, "ps1_corr2d", "es", "cpu", fake_cluster.address, allowed_failures=1)
    assert time.time() - started < 240
    assert sorted(writes) == sorted(j.name for j in p.jobs)
    by_name = {j.name: j for j in p.jobs}
    for i in range(3):
        j = by_name[f"ok{i}"]
        assert j.state == "graded" and j.results["score"] == 14, j.results
    bad = by_name["veneno"]
    assert bad.state == "grader_error" and store.is_grader_error(bad.results)
    assert "no pudo terminar" in bad.results["output"] and "2 veces" in bad.results["output"]
    assert all("no pudo terminar" in t["output"] for t in bad.results["tests"])
    assert "KilledWorker" in bad.results["extra_data"]["grader_reason"]
    on_disk = json.loads(Path(bad.folder, "results.json").read_text())
    assert not store.validate(on_disk) and on_disk["score"] == 0
    # a rerun regrades only the poison (results on disk are the resume state)
    again = _plan(good + [poison], tmp_path / "out")
    assert [j.name for j in again.todo] == ["veneno"]
