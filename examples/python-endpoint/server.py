#!/usr/bin/env python3
"""A customer endpoint in Python's standard library alone: verify the signature over the path
parameter, refuse stale contexts, echo the challenge, answer the customer by e-mail (404
customer_not_found when unknown). Every rule it follows is in docs/protocol.md, "What an endpoint
must do"; nothing here depends on connection-kit.

    YETTO_SECRET=… python3 server.py [--port 3000] [--secret …]
    python3 server.py --check-vectors contracts/vectors/request-signature.json

Environment: YETTO_SECRET (the signing secret the help desk showed), PORT (0 picks a free one),
ENABLE_PACT_STATES=1 (serve Pact's state-change route for `ckit pact verify --state-change-url`).
DANGEROUSLY_SKIP_SIGNATURE_CHECK=1 turns verification off: the test suite's broken target, which
`ckit pact verify` and `ckit conformance` must fail. Never set it anywhere else.
"""
import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# MUST 2: the header, and the exact shape of its value.
SIGNATURE_HEADERS = ("X_YETTO_SIGNATURE", "X-Yetto-Signature")  # some proxies rewrite _ to -
SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
TOLERANCE_SECONDS = 300  # MUST 4: five minutes either way
REASONS = ("conversation_viewed", "automation", "refresh", "challenge")

KELLY = {"id": "customer_12345", "name": "Kelly Customer", "plan_type": "Business", "stripe_id": "cus_123"}
CUSTOMERS = {"kelly@example.com": dict(KELLY)}
SECTIONS = [
    {"type": "link", "title": "Stripe", "description": "Refunds", "href": "https://dashboard.stripe.com/customers/{{ data.customer.stripe_id }}"},
    {"type": "list", "title": "Account", "items": [{"description": "Name", "value": "{{ data.customer.name }}"}, {"description": "Plan", "value": "{{ data.customer.plan_type }}"}]},
]
# Pact provider states (contracts/README.md); only served when ENABLE_PACT_STATES=1.
STATES = {
    "a customer with e-mail kelly@example.com exists": lambda: CUSTOMERS.__setitem__("kelly@example.com", dict(KELLY)),
    "no customer has the e-mail nobody@unknown.invalid": lambda: CUSTOMERS.pop("nobody@unknown.invalid", None),
}


class Refused(Exception):
    """A request the endpoint turns away: the reason is the JSON error, the status what it answers."""

    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def path_parameter_of(path):
    """The last non-empty path segment; the query string is not part of it."""
    segments = [segment for segment in urlsplit(path).path.split("/") if segment]
    return segments[-1] if segments else ""


def verify_signature(secret, path_parameter, values):
    """MUST 2 and 3: exactly one header, sha256=<64 hex>, equal in constant time to HMAC-SHA256 of the path parameter."""
    if len(values) > 1:
        raise Refused(401, "malformed", f"{SIGNATURE_HEADERS[0]} was sent {len(values)} times; expected once")
    value = values[0].strip(" \t") if values else ""
    if value == "":
        raise Refused(401, "missing", f"{SIGNATURE_HEADERS[0]} header is missing (a proxy may drop headers with underscores: nginx needs underscores_in_headers on)")
    match = SIGNATURE.fullmatch(value)
    if not match:
        raise Refused(401, "malformed", f'{SIGNATURE_HEADERS[0]} must be "sha256=" followed by 64 hex digits')
    expected = hmac.new(secret.encode("utf-8"), path_parameter.encode("utf-8"), hashlib.sha256).digest()
    if not hmac.compare_digest(bytes.fromhex(match.group(1)), expected):
        raise Refused(401, "mismatch", "signature does not match (wrong secret, or the path parameter was changed)")


def parse_time(text):
    # datetime.fromisoformat reads a trailing "Z" only from Python 3.11 on.
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def decode_context(path_parameter):
    """base64url(JSON) without padding (a trailing = is tolerated), checked against the request-context rules."""
    unpadded = re.sub(r"={1,2}$", "", path_parameter)
    if not BASE64URL.fullmatch(unpadded) or len(unpadded) % 4 == 1:
        raise Refused(400, "malformed_context", "path parameter is not base64url")
    try:
        context = json.loads(base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Refused(400, "malformed_context", "path parameter does not decode to JSON") from None
    problem = context_problem(context)
    if problem:
        raise Refused(400, "invalid_context", f"request context is invalid: {problem}")
    return context


def context_problem(context):
    """The parts of schemas/request-context.schema.json this endpoint relies on."""
    if not isinstance(context, dict):
        return "/: must be an object"
    if context.get("reason") not in REASONS:
        return f"/reason: must be one of {', '.join(REASONS)}"
    try:
        at = parse_time(context["requested_at"])
        if at.tzinfo is None:
            return "/requested_at: must carry a time zone"
    except (KeyError, TypeError, ValueError):
        return "/requested_at: must be an ISO-8601 date-time"
    if not isinstance(context.get("inbox"), dict) or not context["inbox"].get("slug"):
        return "/inbox/slug: is required"
    if context["reason"] == "challenge":
        return None if isinstance(context.get("challenge"), str) and context["challenge"] else "/challenge: is required"
    requester = context.get("requester")
    if not isinstance(requester, dict) or not isinstance(requester.get("email"), str):
        return "/requester/email: is required"
    if not isinstance(context.get("conversation"), dict) or not context["conversation"].get("id"):
        return "/conversation/id: is required"
    return None


def parse_signed_request(secret, path, values, now, tolerance_seconds=TOLERANCE_SECONDS, skip_signature=False):
    """Signature first, then the context, then freshness: the order decides which error a client sees."""
    path_parameter = path_parameter_of(path)
    if not skip_signature:
        verify_signature(secret, path_parameter, values)
    if path_parameter == "":
        raise Refused(400, "missing_context", "the request has no path parameter")
    context = decode_context(path_parameter)
    if not skip_signature:
        skew = now - parse_time(context["requested_at"]).timestamp()
        if abs(skew) > tolerance_seconds:
            raise Refused(401, "stale", f"requested_at is {round(abs(skew))} s {'in the past' if skew > 0 else 'in the future'} (tolerance {tolerance_seconds} s)")
    return context


class Handler(BaseHTTPRequestHandler):
    server_version = "python-endpoint"
    secret = ""
    skip_signature = False
    pact_states = False

    def send_json(self, status, document):
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        values = [value for name in SIGNATURE_HEADERS for value in (self.headers.get_all(name) or [])]
        try:
            context = parse_signed_request(self.secret, self.path, values, time.time(), skip_signature=self.skip_signature)
        except Refused as refused:
            return self.send_json(refused.status, {"error": refused.reason, "message": refused.message})
        if context["reason"] == "challenge":
            return self.send_json(200, {"challenge": context["challenge"]})
        customer = CUSTOMERS.get(context["requester"]["email"])
        if customer is None:
            return self.send_json(404, {"error": "customer_not_found"})
        self.send_json(200, {"version": "2024-03-06", "customer": customer, "sections": SECTIONS})

    def do_POST(self):
        if not (self.pact_states and urlsplit(self.path).path == "/_pact/state"):
            return self.send_json(405, {"error": "method_not_allowed"})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            change = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.send_json(400, {"error": "invalid_json"})
        if change.get("action") != "teardown" and change.get("state") in STATES:
            STATES[change["state"]]()
        self.send_json(200, {})

    def log_message(self, format, *args):
        if os.environ.get("LOG") == "1":
            super().log_message(format, *args)


def check_vectors(file):
    """Runs this endpoint's own parse_signed_request over request-signature vectors; exit 1 on any disagreement."""
    cases = json.loads(open(file, encoding="utf-8").read())
    disagreements = 0
    for case in cases:
        values = [value for name, value in case["headers"] if name.lower() in {n.lower() for n in SIGNATURE_HEADERS}]
        try:
            parse_signed_request(case["secret"], f"/yetto/{case['path_parameter']}", values, parse_time(case["now"]).timestamp(), case["tolerance_seconds"])
            verdict = {"ok": True}
        except Refused as refused:
            verdict = {"ok": False, "reason": refused.reason, "status": refused.status}
        if verdict != case["expected"]:
            disagreements += 1
            print(f"✖ {case['description']}: got {json.dumps(verdict)}, expected {json.dumps(case['expected'])}")
    print(f"{len(cases) - disagreements} of {len(cases)} vectors agree")
    return 1 if disagreements else 0


def main():
    parser = argparse.ArgumentParser(description="A customer endpoint in Python's standard library.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--secret", default=os.environ.get("YETTO_SECRET"))
    parser.add_argument("--check-vectors", metavar="FILE", help="check this endpoint's verification against request-signature vectors, then exit")
    args = parser.parse_args()
    if args.check_vectors:
        return check_vectors(args.check_vectors)
    Handler.skip_signature = os.environ.get("DANGEROUSLY_SKIP_SIGNATURE_CHECK") == "1"
    if not args.secret and not Handler.skip_signature:
        # An unset variable must not turn into an endpoint that accepts forged requests.
        print("no signing secret: set YETTO_SECRET (or pass --secret) to the secret the help desk showed", file=sys.stderr)
        return 2
    Handler.secret = args.secret or ""
    Handler.pact_states = os.environ.get("ENABLE_PACT_STATES") == "1"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"customer endpoint on http://127.0.0.1:{server.server_address[1]}/yetto", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
