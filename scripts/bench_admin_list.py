#!/usr/bin/env python3
"""The admin members list at 100,000 members, in a real browser: the time
from typing a search to its results on screen, beside the same query's API
call alone, measured in the same run (web/scripts/bench-members-list.mjs).

    python3 scripts/bench_admin_list.py [--runs N]

Builds the release `loaf`, serves it (with the web app) in a temporary
project, loads tests/benches/common/seed_members.sql into its database,
then drives Debian's Chromium. Prints a table; asserts nothing.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "tests", "benches", "common", "seed_members.sql")


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def serve(loaf, project):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "S3_BUCKET", "JWT_SECRET", "PORT")}
    env["RUST_LOG"] = "warn"
    env["LOAF_WEB_DIR"] = os.path.join(ROOT, "web")
    proc = subprocess.Popen([loaf, "serve", "--port", "0"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    banner = {}
    for line in proc.stdout:
        if line.startswith("LOAF API ready on "):
            banner["url"] = line.split()[4]
        match = re.match(r"\s+(database|superadmin)\s+(\S+)(?: / (\S+))?", line)
        if match:
            banner[match[1]] = (match[2], match[3])
        if "superadmin" in banner and "url" in banner and "database" in banner:
            return proc, banner
    sys.exit("loaf serve exited before it was ready")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "loaf"], cwd=ROOT, check=True)
    loaf = os.path.join(target_dir(), "release", "loaf")
    project = tempfile.mkdtemp(prefix="loaf-bench-")
    os.chmod(project, 0o755)
    proc = None
    try:
        proc, banner = serve(loaf, project)
        database = banner["database"][0]
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", database, "-f", SEED],
                       check=True)
        subprocess.run(["psql", "-q", database, "-c", "VACUUM ANALYZE users"], check=True)
        email, password = banner["superadmin"]
        env = dict(os.environ, BASE_URL=banner["url"].rstrip("/"), LOAF_ADMIN_EMAIL=email,
                   LOAF_ADMIN_PASSWORD=password, RUNS=str(args.runs))
        out = subprocess.run(["node", "scripts/bench-members-list.mjs"], cwd=os.path.join(ROOT, "web"),
                             env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        print(f"\nMembers list at 100,000 members ({args.runs} runs each, medians, ms)")
        print(f"{'search':<16}{'found':>8}{'API alone':>11}{'typing→shown':>14}"
              f"{'minus 250 ms pause':>20}{'ratio':>8}")
        for r in rows:
            print(f"{r['search']:<16}{r['found']:>8}{r['api_ms']:>11.1f}{r['browser_ms']:>14.1f}"
                  f"{r['after_pause_ms']:>20.1f}{r['after_pause_ms'] / r['api_ms']:>8.2f}")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=60)
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
