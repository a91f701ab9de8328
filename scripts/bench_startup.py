#!/usr/bin/env python3
"""Start-up benchmark: release Lambda binary sizes, and `loaf serve` time to
ready on a cluster that already exists, against the floor measured in the
same run (starting and stopping the same PostgreSQL cluster with pg_ctl).

    python3 scripts/bench_startup.py [--runs N]

Builds the release binaries first (cargo build --release). Prints a table;
asserts nothing. Wall-clock numbers on a shared 2-core machine are noisy:
read the ratio, not the milliseconds.
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = ["auth", "members", "events", "donations", "documents", "jobs", "migrate"]


def build():
    # The route functions on their own, as sam builds each: `docs` and
    # `loaf` turn on the shared crate's `describe` feature, which a build
    # together with them would give every binary.
    def cargo(packages):
        cmd = ["cargo", "build", "--release", "--bins"]
        for p in packages:
            cmd += ["-p", p]
        subprocess.run(cmd, cwd=ROOT, check=True)

    cargo(["loaf-hello"] + [f"loaf-{f}" for f in FUNCTIONS])
    cargo(["loaf-docs"])
    cargo(["loaf"])


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def serve_once(loaf, project):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "S3_BUCKET", "JWT_SECRET", "PORT")}
    env["RUST_LOG"] = "warn"
    start = time.perf_counter()
    proc = subprocess.Popen([loaf, "serve", "--port", "0"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.startswith("LOAF API ready"):
            ready = time.perf_counter() - start
            break
    else:
        sys.exit("loaf serve exited before it was ready")
    proc.terminate()
    proc.wait(timeout=60)
    return ready


def pg_ctl():
    found = shutil.which("pg_ctl")
    if found:
        return found
    return sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]


def pg_start_stop(data_dir):
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    port = open(os.path.join(os.path.dirname(data_dir), "port")).read().strip()
    start = time.perf_counter()
    subprocess.run(prefix + [pg_ctl(), "start", "-D", data_dir, "-w", "-l", os.devnull,
                             "-o", f"-p {port}"], check=True, stdout=subprocess.DEVNULL)
    ready = time.perf_counter() - start
    subprocess.run(prefix + [pg_ctl(), "stop", "-D", data_dir, "-m", "fast", "-w"],
                   check=True, stdout=subprocess.DEVNULL)
    return ready


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    build()
    release = os.path.join(target_dir(), "release")

    print("\nRelease Lambda binaries (x86_64, stripped, fat LTO)")
    print(f"{'binary':<12}{'size (MiB)':>12}")
    for f in ["hello"] + FUNCTIONS + ["docs"]:
        size = os.path.getsize(os.path.join(release, f)) / (1024 * 1024)
        print(f"{f:<12}{size:>12.2f}")

    project = tempfile.mkdtemp(prefix="loaf-bench-")
    os.chmod(project, 0o755)
    loaf = os.path.join(release, "loaf")
    try:
        serve_once(loaf, project)  # creates the cluster: not measured
        data = os.path.join(project, ".loaf", "postgres", "data")
        serve, floor = [], []
        for _ in range(args.runs):  # interleaved, so drift hits both alike
            floor.append(pg_start_stop(data))
            serve.append(serve_once(loaf, project))
        s, f = statistics.median(serve), statistics.median(floor)
        print(f"\n`loaf serve` to ready on an existing cluster ({args.runs} runs, medians)")
        print(f"{'measure':<40}{'ms':>8}")
        print(f"{'pg_ctl start -w (floor)':<40}{f * 1000:>8.0f}")
        print(f"{'loaf serve: start to ready':<40}{s * 1000:>8.0f}")
        print(f"{'ratio serve / floor':<40}{s / f:>8.2f}")
    finally:
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
