#!/usr/bin/env python3
"""Runs the template's web publisher (WebPublisher's inline code, taken from
template.yaml as it is) against a real S3 endpoint, the local one of
`loaf serve`, with stand-ins for the two AWS control-plane calls it makes:
Lambda's GetLayerVersionByArn (answering with a download URL for a zip of
the built layer, as Lambda does) and CloudFormation's response URL (a PUT of
the JSON answer). Checks what a deploy relies on:

- every file of the build lands in the bucket, index.html last, with its
  Content-Type, hashed assets cached a year and immutable, the rest revalidated;
- a layer without index.html fails the deploy with a reason;
- deleting the stack empties the bucket.

Usage: check_web_publisher.py --s3 http://127.0.0.1:PORT --layer .aws-sam/build/WebAssets
(the local S3's key pair is loaf serve's: functions/loaf/src/local_s3.rs).
"""

import argparse
import io
import json
import os
import pathlib
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUCKET = "web-publisher-check"


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, its short-form tags kept as plain values."""


CfnLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_scalar(node)
    if isinstance(node, yaml.ScalarNode) else None
)


def publisher_code():
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    return template["Resources"]["WebPublisher"]["Properties"]["Code"]["ZipFile"]


def zipped(folder):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(pathlib.Path(folder).rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


class StandIns(BaseHTTPRequestHandler):
    """Lambda's layer lookup and download, and CloudFormation's response URL."""

    layer_zip = b""
    answers = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/2018-10-31/layers"):
            host = f"http://127.0.0.1:{self.server.server_port}"
            body = json.dumps({"Content": {"Location": f"{host}/layer.zip"}}).encode()
            self.reply(200, body, "application/json")
        elif self.path == "/layer.zip":
            self.reply(200, self.layer_zip, "application/zip")
        else:
            self.reply(404, b"{}", "application/json")

    def do_PUT(self):
        length = int(self.headers["Content-Length"])
        self.answers.append(json.loads(self.rfile.read(length)))
        self.reply(200, b"", "text/plain")

    def reply(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def event(kind, stand_ins):
    return {
        "RequestType": kind,
        "ResponseURL": f"{stand_ins}/response",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/loaf-dev/1",
        "RequestId": f"check-{kind}",
        "LogicalResourceId": "WebApp",
        "ResourceProperties": {
            "Layer": "arn:aws:lambda:eu-west-1:123456789012:layer:WebAssets:7"
        },
    }


def main():
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--s3", required=True, help="the local S3 endpoint of loaf serve")
    args.add_argument("--layer", required=True, help="the built layer's folder")
    opts = args.parse_args()

    files = sorted(
        p.relative_to(opts.layer).as_posix()
        for p in pathlib.Path(opts.layer).rglob("*")
        if p.is_file()
    )
    assert "index.html" in files and any(f.startswith("assets/") for f in files), files

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIns)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stand_ins = f"http://127.0.0.1:{server.server_port}"

    os.environ.update(
        AWS_ACCESS_KEY_ID="loaf-local",
        AWS_SECRET_ACCESS_KEY="loaf-local-secret-key",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ENDPOINT_URL_S3=opts.s3,
        AWS_ENDPOINT_URL_LAMBDA=stand_ins,
        WEB_BUCKET=BUCKET,
    )
    s3 = boto3.client("s3", config=boto3.session.Config(s3={"addressing_style": "path"}))
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)

    code = {}
    exec(compile(publisher_code(), "WebPublisher", "exec"), code)
    handler = code["handler"]

    def run(kind):
        StandIns.answers.clear()
        handler(event(kind, stand_ins), None)
        assert len(StandIns.answers) == 1, StandIns.answers
        return StandIns.answers[0]

    # A new build is published, every file with its headers.
    StandIns.layer_zip = zipped(opts.layer)
    answer = run("Create")
    assert answer["Status"] == "SUCCESS", answer
    assert answer["Data"] == {"Files": str(len(files))}, answer
    assert answer["RequestId"] == "check-Create" and answer["PhysicalResourceId"] == "web-app"
    for name in files:
        head = s3.head_object(Bucket=BUCKET, Key=name)
        cache = head.get("CacheControl")
        if name.startswith("assets/"):
            assert cache == "public, max-age=31536000, immutable", (name, cache)
        else:
            assert cache == "no-cache", (name, cache)
        suffix = pathlib.Path(name).suffix
        expected = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                    ".svg": "image/svg+xml"}.get(suffix)
        if expected:
            assert head["ContentType"] == expected, (name, head["ContentType"])
    page = s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read()
    assert page == (pathlib.Path(opts.layer) / "index.html").read_bytes()

    # A layer that is not a build fails the deploy, saying why.
    StandIns.layer_zip = zipped(ROOT / "scripts")
    print("a layer without index.html (the publisher's refusal is expected):")
    answer = run("Update")
    assert answer["Status"] == "FAILED" and "index.html" in answer["Reason"], answer
    published = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert published == files, f"a refused layer changed the bucket: {published}"

    # The stack's deletion empties the bucket (CloudFormation can then delete it).
    answer = run("Delete")
    assert answer["Status"] == "SUCCESS", answer
    left = s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0)
    assert left == 0, f"{left} objects left"

    server.shutdown()
    print(f"web publisher: {len(files)} files published with their headers; "
          "a layer without index.html refused; the bucket emptied on delete")


if __name__ == "__main__":
    sys.exit(main())
