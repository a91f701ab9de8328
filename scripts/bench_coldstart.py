#!/usr/bin/env python3
"""Cold-start benchmark: time from process start to the first answered event
for each function `bootstrap` that `sam build` made, against a hello-world
lambda_http binary built the same way in the same run, through a local
Lambda Runtime API.

    CARGO_LAMBDA_COMPILER=cargo sam build --parameter-overrides Architecture=x86_64
    python3 scripts/bench_coldstart.py [--runs N]

The event is an API Gateway HTTP API request for an unknown route: it runs
the whole init (configuration, pool, S3 client) and the router without
waiting on a database, so the numbers are the function's own. Prints a
table; asserts nothing. Read the ratio: the milliseconds move with the
machine's load.
"""
import argparse
import http.server
import json
import os
import statistics
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = ["AuthFunction", "MembersFunction", "EventsFunction", "DonationsFunction",
             "DocumentsFunction", "DocsFunction"]


def load_event():
    with open(os.path.join(ROOT, "tests", "fixtures", "apigw-v2-get-unknown-route.json")) as f:
        return f.read().encode()


class RuntimeApi(http.server.ThreadingHTTPServer):
    """Hands out one event, then records when its answer arrives."""

    def __init__(self, event):
        super().__init__(("127.0.0.1", 0), Handler)
        self.event = event
        self.answered = threading.Event()
        self.handed_out = False
        self.lock = threading.Lock()
        self.status = None


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            first = not self.server.handed_out
            self.server.handed_out = True
        if not first:
            time.sleep(3600)  # the process is killed before this returns
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Content-Length", str(len(self.server.event)))
        self.end_headers()
        self.wfile.write(self.server.event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(202)
        self.end_headers()
        if self.path.endswith("/response"):
            self.server.status = json.loads(body).get("statusCode")
        self.server.answered.set()


def cold_start(binary):
    api = RuntimeApi(load_event())
    threading.Thread(target=api.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "RUST_LOG": "warn",
        # The pool is lazy and the event touches no table: nothing connects.
        "DATABASE_URL": "postgres://loaf@127.0.0.1:9/loaf",
        "JWT_SECRET": "bench-secret-bench-secret-bench-secret",
        "S3_BUCKET": "bench",
        "EMAIL_FROM": "LOAF <no-reply@example.org>",
    }
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    if not api.answered.wait(30):
        proc.kill()
        raise SystemExit(f"{binary} did not answer within 30 s")
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    api.shutdown()
    return elapsed, api.status


def build_hello():
    subprocess.run(["cargo", "lambda", "build", "--release", "--bin", "hello",
                    "--target", "x86_64-unknown-linux-gnu"], cwd=ROOT, check=True,
                   env={**os.environ, "CARGO_LAMBDA_COMPILER": "cargo"})
    return os.path.join(ROOT, "target", "lambda", "hello", "bootstrap")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, ".aws-sam", "build"))
    args = parser.parse_args()
    binaries = {"hello (floor)": build_hello()}
    for f in FUNCTIONS + ["MigrateFunction"]:
        binaries[f] = os.path.join(args.build_dir, f, "bootstrap")
    print(f"{'bootstrap':<20}{'MiB':>8}{'cold p50 ms':>13}{'p90 ms':>9}{'vs hello':>10}")
    floor = None
    for name, path in binaries.items():
        size = os.path.getsize(path) / 1048576
        if name == "MigrateFunction":
            print(f"{name:<20}{size:>8.2f}{'(custom resource: not an HTTP event)':>40}")
            continue
        times = []
        for _ in range(args.runs):
            elapsed, status = cold_start(path)
            times.append(elapsed * 1000)
        times.sort()
        p50 = statistics.median(times)
        p90 = times[int(len(times) * 0.9) - 1]
        floor = floor or p50
        print(f"{name:<20}{size:>8.2f}{p50:>13.1f}{p90:>9.1f}{p50 / floor:>10.2f}")


if __name__ == "__main__":
    main()
