#!/usr/bin/env python3
"""Cold-start benchmark: time from process start to the first answered event
for each function `bootstrap` that `sam build` made, against a hello-world
lambda_http binary built the same way in the same run, through a local
Lambda Runtime API.

    CARGO_LAMBDA_COMPILER=cargo sam build --parameter-overrides Architecture=x86_64
    python3 scripts/bench_coldstart.py [--runs N] [--database-url URL] [--before DIR]

The first event is an API Gateway HTTP API request for an unknown route: it
runs the whole init (configuration, pool, clients) and the router without
waiting on a database, so the numbers are the function's own.

With --database-url (for example the one `loaf serve` prints), the event is
`GET /api/health` instead, whose `SELECT 1` makes the container's first
connection: the first database request after a cold start. Its floor is the
hello-world cold start plus a bare connection (TCP, authentication, the same
`SELECT 1`) to the same server, made by this script in the same run.

Each round starts every binary once, hello first, so the floor and the
functions share the machine's load of that moment. Prints a table; asserts
nothing. Read the ratio: the milliseconds move with the machine's load.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import socket
import statistics
import struct
import subprocess
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = ["AuthFunction", "MembersFunction", "EventsFunction", "DonationsFunction",
             "DocumentsFunction", "DocsFunction"]


def load_event(name):
    with open(os.path.join(ROOT, "tests", "fixtures", name)) as f:
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


def cold_start(binary, event, database_url):
    api = RuntimeApi(event)
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
        # The pool is lazy: nothing connects unless the event needs it. The
        # URL has a password, as the one built from the secret in AWS has.
        "DATABASE_URL": database_url or "postgres://loaf:bench@127.0.0.1:9/loaf",
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


def pg_message(sock):
    kind = sock.recv(1, socket.MSG_WAITALL)
    (length,) = struct.unpack("!i", sock.recv(4, socket.MSG_WAITALL))
    return kind, sock.recv(length - 4, socket.MSG_WAITALL)


def pg_send(sock, kind, body):
    sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)


def bare_connection(url):
    """Connects to PostgreSQL (trust or SCRAM-SHA-256), runs `SELECT 1`,
    and answers the seconds it took: the floor's one connection."""
    u = urllib.parse.urlparse(url)
    user, password = urllib.parse.unquote(u.username or ""), urllib.parse.unquote(u.password or "")
    start = time.perf_counter()
    sock = socket.create_connection((u.hostname, u.port or 5432))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    params = b"user\0" + user.encode() + b"\0database\0" + u.path.lstrip("/").encode() + b"\0\0"
    body = struct.pack("!i", 196608) + params
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    nonce = base64.b64encode(os.urandom(18)).decode()
    client_first = f"n=,r={nonce}"
    auth_message = None
    salted = None
    while True:
        kind, data = pg_message(sock)
        if kind == b"E":
            raise SystemExit(f"PostgreSQL refused the bare connection: {data!r}")
        if kind == b"R":
            (code,) = struct.unpack("!i", data[:4])
            if code == 10:  # SASL: start SCRAM-SHA-256
                first = ("n,," + client_first).encode()
                pg_send(sock, b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
            elif code == 11:  # server-first: prove the password
                server_first = data[4:].decode()
                fields = dict(f.split("=", 1) for f in server_first.split(","))
                salted = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                             base64.b64decode(fields["s"]), int(fields["i"]))
                without_proof = f"c=biws,r={fields['r']}"
                auth_message = f"{client_first},{server_first},{without_proof}".encode()
                client_key = hmac.new(salted, b"Client Key", "sha256").digest()
                signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message,
                                     "sha256").digest()
                proof = bytes(a ^ b for a, b in zip(client_key, signature))
                pg_send(sock, b"p", f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
        elif kind == b"Z":
            break
    pg_send(sock, b"Q", b"SELECT 1\0")
    while pg_message(sock)[0] != b"Z":
        pass
    elapsed = time.perf_counter() - start
    pg_send(sock, b"X", b"")
    sock.close()
    return elapsed


def median_ms(samples):
    return statistics.median(samples) * 1000


def p90_ms(samples):
    ordered = sorted(samples)
    return ordered[int(len(ordered) * 0.9) - 1] * 1000


def interleaved(binaries, event, database_url, runs):
    """Cold starts of every binary, one of each per round: a change in the
    machine's load during the run lands on the floor and the functions
    alike instead of on whichever ran in that minute."""
    samples = {name: [] for name in binaries}
    for _ in range(runs):
        for name, path in binaries.items():
            elapsed, status = cold_start(path, event, database_url)
            if database_url and status != 200:
                raise SystemExit(f"{name}: GET /api/health answered {status}")
            samples[name].append(elapsed)
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, ".aws-sam", "build"))
    parser.add_argument("--hello", help="a hello bootstrap already built (default: build it)")
    parser.add_argument("--before", metavar="DIR",
                        help="another build (same layout as --build-dir, and its hello-world as"
                             " hello/bootstrap), run in the same rounds and listed as '(before)':"
                             " a change measured against its base")
    parser.add_argument("--database-url",
                        help="time the first database request (GET /api/health) against this server")
    args = parser.parse_args()
    hello = "hello (floor)"
    binaries = {hello: args.hello or build_hello()}
    sizes = {}
    for f in FUNCTIONS + ["MigrateFunction"]:
        path = os.path.join(args.build_dir, f, "bootstrap")
        if not os.path.exists(path):
            print(f"{f:<20}   (not built: {path})")
        elif f == "MigrateFunction":
            print(f"{f:<20}{os.path.getsize(path) / 1048576:>8.2f}"
                  "   (custom resource: not an HTTP event)")
        else:
            binaries[f] = path
    if args.before:
        for f in ["hello"] + FUNCTIONS:
            path = os.path.join(args.before, f, "bootstrap")
            if os.path.exists(path):
                binaries[f"{f} (before)"] = path
    for name, path in binaries.items():
        sizes[name] = os.path.getsize(path) / 1048576
    cold = interleaved(binaries, load_event("apigw-v2-get-unknown-route.json"), None, args.runs)
    first = {}
    db_floor = None
    if args.database_url:
        with_db = {n: p for n, p in binaries.items()
                   if not n.startswith(("hello", "DocsFunction"))}
        first = interleaved(with_db, load_event("apigw-v2-get-health.json"),
                            args.database_url, args.runs)
        connection = median_ms([bare_connection(args.database_url) for _ in range(args.runs)])
        db_floor = median_ms(cold[hello]) + connection
        print(f"bare connection: {connection:.1f} ms p50; the first database request's floor is"
              f" hello + this = {db_floor:.1f} ms")
    header = f"{'bootstrap':<29}{'MiB':>8}{'cold p50 ms':>13}{'p90 ms':>9}{'vs hello':>10}"
    if args.database_url:
        header += f"{'1st DB p50 ms':>15}{'vs floor':>10}"
    print(header)
    floor = median_ms(cold[hello])
    for name in binaries:
        line = (f"{name:<29}{sizes[name]:>8.2f}{median_ms(cold[name]):>13.1f}"
                f"{p90_ms(cold[name]):>9.1f}{median_ms(cold[name]) / floor:>10.2f}")
        if name in first:
            line += f"{median_ms(first[name]):>15.1f}{median_ms(first[name]) / db_floor:>10.2f}"
        elif args.database_url and name != hello:
            line += f"{'(no database)':>15}"
        print(line)


if __name__ == "__main__":
    main()
