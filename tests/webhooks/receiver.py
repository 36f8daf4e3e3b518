"""A webhook receiver for the tests: a real HTTP server that verifies every delivery
with the official Standard Webhooks library (`pip install standardwebhooks==1.1.0`),
not with AppealDesk's code, and records what it got.

    python3 receiver.py PORT DIR

PORT 0 picks a free port; the first line on stdout is "ready PORT". In DIR:
- `secrets` (written by the test): the secrets to verify with, one per line;
- `fail` (optional, written by the test): how many more requests to answer 500;
- `received.jsonl` (written here): one line per request: its webhook headers, whether
  each secret verified it, the payload, and the status answered.
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

DIR = sys.argv[2]
LOCK = threading.Lock()


def read(name, default=""):
    try:
        with open(os.path.join(DIR, name), encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return default


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k: v for k, v in self.headers.items()}
        verified = []
        for secret in read("secrets").split():
            try:
                Webhook(secret).verify(body, headers)
                verified.append(True)
            except WebhookVerificationError:
                verified.append(False)
        with LOCK:
            fail = int(read("fail", "0").strip() or "0")
            if fail > 0:
                with open(os.path.join(DIR, "fail"), "w", encoding="utf-8") as f:
                    f.write(str(fail - 1))
                status = 500
            else:
                status = 200
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            record = {
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "signature": headers.get("webhook-signature"),
                "content_type": headers.get("content-type"),
                "verified": verified,
                "payload": payload,
                "status": status,
            }
            with open(os.path.join(DIR, "received.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    os.makedirs(DIR, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
