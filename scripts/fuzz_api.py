#!/usr/bin/env python3
"""Contract fuzzing: schemathesis against a running `loaf serve`.

Reads the served OpenAPI document and sends every operation generated
requests (valid and invalid) three times over: as the development superadmin,
as a freshly invited member and anonymously. A 5xx, a status the document does
not list, a wrong content type or a body outside its schema fails the run.

    cargo run -p loaf -- serve &          # in the checkout
    python3 scripts/fuzz_api.py            # --base, --examples, --project

Needs `pip install schemathesis`. Exits non-zero on any failure; the report of
each run is in target/fuzz/<who>/.
"""

import argparse
import email
import json
import pathlib
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read()
            return res.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def wait_for(base, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if call(base, "GET", "/api/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"{base} did not answer /api/health within {seconds} s")


def mailed_token(mail_dir, address, kind, seconds=30):
    """The token of the newest `kind` link mailed to `address`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        for path in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
            msg = email.message_from_bytes(path.read_bytes())
            if address not in (msg["To"] or ""):
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    found = re.search(rf"/{kind}/([A-Za-z0-9_-]+)", text)
                    if found:
                        return found.group(1)
        time.sleep(0.5)
    sys.exit(f"no {kind} link mailed to {address} in {mail_dir}")


def created(base, token, path, body):
    status, reply = call(base, "POST", path, body, token)
    if status != 201:
        sys.exit(f"seeding {path} refused: {status} {reply}")
    return reply


def seed(base, admin, member_id):
    """Records for the id routes to find, so fuzzing reaches past the 404."""
    run = int(time.time())
    plan = created(base, admin, "/api/plans",
                   {"name": "Fuzz plan", "price_cents": 2500, "billing_cycle": "yearly"})
    event = created(base, admin, "/api/events", {
        "title": "Fuzz evening", "start_at": "2030-05-01T18:00:00Z",
        "end_at": "2030-05-01T21:00:00Z", "visibility": "members", "capacity": 20})
    call(base, "POST", f"/api/events/{event['id']}/publish", None, admin)
    role = created(base, admin, "/api/roles",
                   {"code": f"fuzz_{run}", "name": f"Fuzz role {run}", "permissions": ["events.view"]})
    invitation = created(base, admin, "/api/invitations", {"email": f"fuzz-pending-{run}@example.org"})
    subscription = created(base, admin, "/api/subscriptions/manual",
                           {"user_id": member_id, "plan_id": plan["id"], "method": "cash"})
    donation = created(base, admin, "/api/donations/manual", {"amount_cents": 1500, "method": "cash"})
    imported = created(base, admin, "/api/imports", {"filename": "fuzz.csv", "size_bytes": 100})
    newsletter = created(base, admin, "/api/documents/newsletters", {
        "title": "Fuzz letter", "published_date": "2026-01-15",
        "url": "https://example.org/fuzz-letter.pdf"})
    return {
        "events": [event["id"]],
        "plans": [plan["id"]],
        "roles": [role["id"]],
        "invitations": [invitation["id"]],
        "subscriptions": [subscription["id"]],
        "donations": [donation["id"]],
        "imports": [imported["id"]],
        "members": [member_id],
        "newsletters": [newsletter["id"]],
    }


def config_text(records):
    """schemathesis.toml: the records as dictionaries that `{id}` draws from
    (and, the rest of the time, a generated id), and the three libraries."""
    lines = ["[auth]", "auto-signup = false", ""]
    records = {**records, "kinds": ["newsletters", "financial-reports", "bylaws"]}
    for name, values in records.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    for name in records:
        if name in ("kinds", "newsletters"):
            continue
        lines += [
            "[[operations]]",
            f'include-path-regex = "^/api/{name}/\\\\{{id\\\\}}"',
            # Deletes do not draw from the seeded records, which so last
            # longer (schemathesis may still delete ids it saw in answers).
            'exclude-method = "DELETE"',
            f'parameters = {{ "path.id" = {{ dictionary = "{name}", probability = 0.8 }} }}',
            "",
        ]
    lines += [
        "[[operations]]",
        'include-path-regex = "^/api/documents/\\\\{kind\\\\}(/uploads)?$"',
        'parameters = { "path.kind" = { dictionary = "kinds", probability = 0.8 } }',
        "",
        # A document is found under its own library.
        "[[operations]]",
        'include-path-regex = "^/api/documents/\\\\{kind\\\\}/\\\\{id\\\\}"',
        'exclude-method = "DELETE"',
        'parameters = { "path.kind" = "newsletters", '
        '"path.id" = { dictionary = "newsletters", probability = 0.8 } }',
        "",
    ]
    return "\n".join(lines)


def member_token(base, admin, mail_dir):
    address = f"fuzz-{int(time.time() * 1000)}@example.org"
    status, body = call(
        base, "POST", "/api/invitations", {"email": address, "first_name": "Fuzz"}, admin
    )
    if status != 201:
        sys.exit(f"invitation refused: {status} {body}")
    token = mailed_token(mail_dir, address, "invitations")
    status, body = call(
        base,
        "POST",
        f"/api/auth/invitations/{token}/accept",
        {
            "password": "a long and patient fuzzing password",
            "accept_terms": True,
            "terms_version": "1",
            "profile": {"first_name": "Fuzz", "last_name": "Member"},
        },
    )
    if status != 201:
        sys.exit(f"invitation not accepted: {status} {body}")
    return body["access_token"], body["user"]["id"]


def fuzz(base, who, token, examples, out, config):
    cmd = [
        "st", "--config-file", str(config), "run", f"{base}/api/openapi.json",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(examples),
        "--seed", "20261125",
        "--workers", "2",
        "--request-timeout", "30",
        "--report", "junit",
        "--report-dir", str(out / who),
    ]
    if token:
        # Signing out (everywhere) would end the session the run uses.
        cmd += ["--header", f"Authorization: Bearer {token}", "--exclude-path", "/api/auth/logout"]
    print(f"\n== contract fuzzing as {who}", flush=True)
    return subprocess.run(cmd).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:3000")
    parser.add_argument("--project", default=".", help="the checkout `loaf serve` runs in")
    parser.add_argument("--examples", type=int, default=25, help="per operation and phase")
    args = parser.parse_args()

    project = pathlib.Path(args.project)
    wait_for(args.base)
    admin_login = json.loads((project / ".loaf/dev-admin.json").read_text())
    status, session = call(args.base, "POST", "/api/auth/login", admin_login)
    if status == 429:
        # An earlier run's generated sign-ins locked this address for a while.
        wait = int(re.search(r"wait (\d+) seconds", session["error"]["message"]).group(1))
        if wait <= 900:
            print(f"sign-ins from here are throttled by an earlier run: waiting {wait} s")
            time.sleep(wait + 1)
            status, session = call(args.base, "POST", "/api/auth/login", admin_login)
    if status != 200:
        sys.exit(f"superadmin login refused: {status} {session}")
    admin = session["access_token"]
    member, member_id = member_token(args.base, admin, project / ".loaf/mail")

    out = project / "target/fuzz"
    out.mkdir(parents=True, exist_ok=True)
    config = out / "schemathesis.toml"
    # Without auto-signup off, an anonymous run looks for a sign-up flow of
    # its own.
    config.write_text(config_text(seed(args.base, admin, member_id)))
    # The admin last: its requests may deactivate the member or delete the
    # records the others use.
    failed = [
        who
        for who, token in [("member", member), ("anonymous", None), ("admin", admin)]
        if fuzz(args.base, who, token, args.examples, out, config) != 0
    ]
    if failed:
        sys.exit(f"contract fuzzing failed as: {', '.join(failed)}")
    print("contract fuzzing: no failures as admin, member or anonymous")


if __name__ == "__main__":
    main()
