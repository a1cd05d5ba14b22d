"""Training benchmark: the course's own pipeline against the trusted fast loop, same run.

CPU part (always):
  * seconds per epoch (wall and process CPU time) of the course's pipeline -- torchvision
    FashionMNIST with ToTensor, DataLoader(batch_size=1024, shuffle=True), Adam, the loop of
    the reference train_epoch -- and of cursocnn.training.fit with the same model, batch size
    and optimizer; prints the ratio (goal >= 3x);
  * time to the CPU threshold: the grader's CPU recipe on the reference until the test
    accuracy reaches autograder.training.train.THRESHOLDS["cpu"][model].
GPU part (only with CUDA): examples/s and wall time of 10 epochs of the GPU recipe.

    .venv/bin/python bench/train_bench.py [--model lenet_modern] [--threads N] [--skip-threshold]

Machines shared with other jobs give noisy wall times: the process CPU time is printed too.
"""
import argparse
import platform
import time

import torch
from torch import nn


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def course_epoch(model, device):
    """One epoch of the course's pipeline (per-sample PIL + ToTensor, DataLoader, Adam)."""
    from torchvision.transforms import ToTensor

    from cursocnn import data
    from reference.ps5_lenet import train_epoch

    ds = data.fashion_mnist(train=True, transform=ToTensor())
    loader = torch.utils.data.DataLoader(ds, batch_size=1024, shuffle=True)
    opt = torch.optim.Adam(model.parameters())
    return train_epoch(model, loader, opt, nn.CrossEntropyLoss(), device)


def fast_epoch(model, device, train):
    from cursocnn import training

    recipe = training.Recipe("bench", epochs=1, batch_size=1024, lr=1e-3)
    return training.fit(model, train, recipe=recipe, device=device, progress=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="lenet_modern", choices=["lenet", "lenet_modern"])
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--skip-threshold", action="store_true", help="skip the time-to-threshold runs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)


    from autograder.training import rebuild as training_rebuild
    from autograder.training import train as training_train
    from cursocnn import data, training
    from reference import ps5_lenet as ref

    print(f"machine: {platform.machine()}, {platform.processor() or '?'}; torch {torch.__version__}; "
          f"threads {torch.get_num_threads()}")
    (train, test), load_s, _ = _timed(lambda: (data.load_tensors(True), data.load_tensors(False)))
    print(f"load_tensors (train + test): {load_s:.2f} s")
    factory = getattr(ref, args.model)

    torch.manual_seed(args.seed)
    _, cw, cc = _timed(lambda: course_epoch(factory(), "cpu"))
    torch.manual_seed(args.seed)
    _, fw, fc = _timed(lambda: fast_epoch(factory(), "cpu", train))
    print(f"[cpu] {args.model}, batch 1024, Adam, one epoch of 60,000 images")
    print(f"  course pipeline (ToTensor + DataLoader): {cw:7.2f} s wall, {cc:7.2f} s cpu")
    print(f"  trusted fast loop (tensors, slices):     {fw:7.2f} s wall, {fc:7.2f} s cpu")
    print(f"  ratio: {cw / fw:.2f}x wall, {cc / fc:.2f}x cpu   (goal >= 3x)")

    if not args.skip_threshold:
        for name in (args.model,) + tuple(m for m in ("lenet", "lenet_modern") if m != args.model):
            bar = training_train.THRESHOLDS["cpu"][name]
            from autograder.sandboxed.worker.probes import PROBES

            model = training_rebuild.build_checked(name, PROBES["describe_model"](vars(ref), name), seed=args.seed)
            start = time.perf_counter()
            reached = {}

            def stop(epoch, history):
                if history["test_acc"][-1] >= bar and "t" not in reached:
                    reached.update(t=time.perf_counter() - start, epoch=epoch + 1)
                return False

            h = training.fit(model, train, test, recipe=training.CPU_RECIPE, device="cpu",
                             seed=args.seed, progress=False, callback=stop)
            total = time.perf_counter() - start
            curve = ", ".join(f"{a:.4f}" for a in h["test_acc"])
            when = (f"{reached['t']:.1f} s (epoch {reached['epoch']})" if reached
                    else "not reached")
            print(f"[cpu] {name}: CPU recipe {training.CPU_RECIPE}; bar {bar:.3f}; reached in {when}; "
                  f"{total:.1f} s for {len(h['test_acc'])} epochs; test acc per epoch: {curve}")

    if torch.cuda.is_available():
        for name in ("lenet_modern", "lenet"):
            from autograder.sandboxed.worker.probes import PROBES

            model = training_rebuild.build_checked(name, PROBES["describe_model"](vars(ref), name), seed=args.seed)
            recipe = training.GPU_RECIPE.with_(epochs=10)
            torch.cuda.synchronize()
            start = time.perf_counter()
            h = training.fit(model, train, test, recipe=recipe, device="cuda", seed=args.seed,
                             progress=False)
            torch.cuda.synchronize()
            wall = time.perf_counter() - start
            print(f"[gpu] {name}: 10 epochs of {recipe}: {wall:.1f} s, "
                  f"{10 * len(train[0]) / wall:,.0f} examples/s, test acc {h['test_acc'][-1]:.4f}")
    else:
        print("[gpu] skipped: CUDA not available")


if __name__ == "__main__":
    main()
