#!/usr/bin/env python3
"""Soak test: mixed load against a real `actledger serve` for a fixed time.

Ingests NDJSON batches, proposes and approves actions, queries, reads
records with proofs, fetches checkpoints and runs `actledger verify` while
the server writes, sampling the server's resident memory and open file
descriptors once a second. It fails (exit 1) when

  * any request gets an unexpected status,
  * `actledger verify` fails, during the run or after a graceful shutdown,
  * the open file descriptors grow after warm-up, or
  * resident memory keeps growing: the median of the last quarter of the
    samples exceeds the median of the second quarter by more than
    --max-rss-growth-mib.

Usage: actledger_soak.py --bin build/release/actledger --seconds 60
Only the Python standard library is used.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(binary, data, *args, token=None, stdin=None):
    cmd = [binary, "--data", data]
    if token:
        cmd += ["--token", token]
    cmd += list(args)
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}: "
                           f"{result.stderr.strip()}")
    return result.stdout


def create_token(binary, data, principal, roles):
    for role in roles:
        run(binary, data, "principal", "grant", principal, "--role", role)
    out = json.loads(run(binary, data, "token", "create", "--principal",
                         principal))
    return out["token"]


def proc_sample(pid):
    """(resident KiB, open fds) of process `pid`."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


class Client:
    def __init__(self, host, port, token):
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.token = token

    def request(self, method, path, body=None, content_type=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()


class Failure(Exception):
    pass


def expect(status, body, wanted, what):
    if status not in wanted:
        raise Failure(f"{what}: HTTP {status}: {body[:300]!r}")


def proposal_from(record, action_id):
    """A proposal (fields 1-4 and 6) made from a generated action record."""
    p = {k: v for k, v in record.items()
         if k not in ("approval", "outcome", "action_id")}
    p["action_id"] = action_id
    return p


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(
        ROOT, "build", "release", "actledger"))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--max-rss-growth-mib", type=float, default=64)
    parser.add_argument("--keep", action="store_true",
                        help="keep the data directory")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="actledger-soak-")
    binary = os.path.abspath(args.bin)
    run(binary, data, "init", "--origin", "soak.example/ledger")
    run(binary, data, "policy", "activate",
        os.path.join(ROOT, "examples", "policy.yaml"))
    writer = create_token(binary, data, "agent@soak", ["writer"])
    approver = create_token(binary, data, "lead@soak",
                            ["approver", "support-lead"])
    auditor = create_token(binary, data, "auditor@soak", ["auditor"])

    records = [json.loads(line) for line in run(
        binary, data, "gen", "--seed", "7", "--count", "2000").splitlines()]

    server = subprocess.Popen(
        [binary, "--data", data, "serve", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = server.stdout.readline()
    address = first.split("listening on ")[1].split()[0]
    host, port = address.split("://")[1].rsplit(":", 1)
    port = int(port)

    stop = threading.Event()
    errors = []
    counts = {"records": 0, "proposals": 0, "approvals": 0, "queries": 0,
              "proofs": 0, "checkpoints": 0, "verifies": 0}
    lock = threading.Lock()

    def bump(name, n=1):
        with lock:
            counts[name] += n

    def ingest():
        c = Client(host, port, writer)
        rng = random.Random(1)
        while not stop.is_set():
            batch = rng.sample(records, args.batch)
            body = "".join(json.dumps(r) + "\n" for r in batch)
            status, text = c.request("POST", "/v1/records", body,
                                     "application/x-ndjson")
            expect(status, text, (201,), "POST /v1/records")
            bump("records", args.batch)

    def gate():
        w = Client(host, port, writer)
        a = Client(host, port, approver)
        emails = [r for r in records if r["action"]["type"] == "email.send"]
        n = 0
        while not stop.is_set():
            n += 1
            action_id = f"soak-{n}"
            status, text = w.request(
                "POST", "/v1/actions",
                json.dumps(proposal_from(emails[n % len(emails)], action_id)),
                "application/json")
            expect(status, text, (201,), "POST /v1/actions")
            bump("proposals")
            if json.loads(text)["decision"] == "pending_approval":
                status, text = a.request(
                    "POST", f"/v1/approvals/{action_id}",
                    json.dumps({"decision": "approve", "reason": "soak"}),
                    "application/json")
                expect(status, text, (200, 201), "POST /v1/approvals")
                bump("approvals")
            status, text = w.request(
                "POST", f"/v1/actions/{action_id}/outcome",
                json.dumps({"status": "success"}),
                "application/json")
            expect(status, text, (201,), "POST outcome")

    def read():
        c = Client(host, port, auditor)
        rng = random.Random(2)
        while not stop.is_set():
            status, text = c.request(
                "GET", "/v1/records?type=payment.*&limit=20")
            expect(status, text, (200,), "GET /v1/records")
            bump("queries")
            status, text = c.request("GET", "/v1/checkpoint")
            expect(status, text, (200,), "GET /v1/checkpoint")
            size = int(text.decode().splitlines()[1])
            bump("checkpoints")
            if size > 0:
                seq = rng.randrange(size)
                status, text = c.request("GET", f"/v1/records/{seq}?proof=1")
                expect(status, text, (200,), "GET /v1/records/{seq}?proof=1")
                bump("proofs")
            status, text = c.request("GET", "/v1/reports/approvals")
            expect(status, text, (200,), "GET /v1/reports/approvals")
            bump("queries")
            time.sleep(0.05)

    def verify():
        while not stop.wait(max(5.0, args.seconds / 6)):
            result = subprocess.run([binary, "--data", data, "verify"],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise Failure(f"verify during the run: {result.stdout}"
                              f"{result.stderr}")
            bump("verifies")

    def guard(fn):
        def wrapped():
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - every failure counts
                errors.append(f"{fn.__name__}: {e}")
                stop.set()
        return wrapped

    threads = [threading.Thread(target=guard(f)) for f in
               (ingest, ingest, gate, read, verify)]
    samples = []
    start = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - start < args.seconds and not stop.is_set():
        samples.append(proc_sample(server.pid))
        time.sleep(1)
    stop.set()
    for t in threads:
        t.join()

    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=60)
    if code != 0:
        errors.append(f"server exited {code} after SIGTERM")
    result = subprocess.run([binary, "--data", data, "verify"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        errors.append(f"verify after shutdown: {result.stdout}")

    q = max(1, len(samples) // 4)
    rss_second = statistics.median(s[0] for s in samples[q:2 * q] or samples)
    rss_last = statistics.median(s[0] for s in samples[-q:])
    fds_warm = max(s[1] for s in samples[:2 * q] or samples)
    fds_last = max(s[1] for s in samples[-q:])
    growth_mib = (rss_last - rss_second) / 1024
    if growth_mib > args.max_rss_growth_mib:
        errors.append(f"resident memory grew {growth_mib:.1f} MiB "
                      f"(limit {args.max_rss_growth_mib})")
    if fds_last > fds_warm + 4:
        errors.append(f"open descriptors grew from {fds_warm} to {fds_last}")

    summary = dict(counts, seconds=round(time.monotonic() - start, 1),
                   rss_mib_second_quarter=round(rss_second / 1024, 1),
                   rss_mib_last_quarter=round(rss_last / 1024, 1),
                   fds_warm=fds_warm, fds_last=fds_last,
                   errors=errors, data=data if args.keep else None)
    print(json.dumps(summary))
    if not args.keep:
        subprocess.run(["rm", "-rf", data])
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
