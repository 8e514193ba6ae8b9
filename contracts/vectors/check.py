#!/usr/bin/env python3
"""Checks the test vectors with Python's standard library alone.

    python3 contracts/vectors/check.py                # both files next to this script
    python3 contracts/vectors/check.py FILE... [--json]

Each case is evaluated from its own fields only (secret, inputs, now, tolerance_seconds) and the
verdict compared with its "expected". Exit status 0 when every verdict agrees, 1 otherwise.
--json prints the verdicts instead: [{"description", "ok", "reason"?}, ...].

It is a second, independent implementation of the rules in docs/protocol.md ("What an endpoint
must do"), so that the vectors are known to describe bytes and rules, not one library's habits.
Copy the functions you need; nothing here depends on connection-kit.
"""
import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import sys
from datetime import datetime
from pathlib import Path

SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
GITHUB_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
UNIX_SECONDS = re.compile(r"[0-9]{1,15}")


def fail(reason):
    return {"ok": False, "reason": reason}


def parse_time(text):
    # datetime.fromisoformat reads a trailing "Z" only from Python 3.11 on.
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def header_values(headers, *names):
    """Every value of a header, in any letter case: duplicates must stay visible."""
    wanted = {name.lower() for name in names}
    return [value for name, value in headers if name.lower() in wanted]


def verify_hex(secret, message, values):
    """The X_YETTO_SIGNATURE rule: one header, sha256=<64 hex digits, either case>, constant-time compare."""
    if len(values) > 1:
        return fail("malformed")
    value = values[0].strip(" \t") if values else ""
    if value == "":
        return fail("missing")
    match = SIGNATURE.fullmatch(value)
    if not match:
        return fail("malformed")
    expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    if not hmac.compare_digest(bytes.fromhex(match.group(1)), expected):
        return fail("mismatch")
    return {"ok": True}


def decode_context(path_parameter):
    """base64url(JSON) without padding; a trailing "=" or "==" is tolerated."""
    unpadded = re.sub(r"={1,2}$", "", path_parameter)
    if path_parameter == "":
        return None, fail("missing_context")
    if not BASE64URL.fullmatch(unpadded) or len(unpadded) % 4 == 1:
        return None, fail("malformed_context")
    try:
        raw = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
        context = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, fail("malformed_context")
    # Only what these vectors exercise; a real endpoint validates schemas/request-context.schema.json.
    if not isinstance(context, dict) or not isinstance(context.get("requested_at"), str) or not isinstance(context.get("reason"), str):
        return None, fail("invalid_context")
    try:
        parse_time(context["requested_at"])
    except ValueError:
        return None, fail("invalid_context")
    return context, None


def check_request(case):
    path_parameter = case["path_parameter"]
    values = header_values(case["headers"], "X_YETTO_SIGNATURE", "X-Yetto-Signature")
    verdict = verify_hex(case["secret"], path_parameter.encode("utf-8"), values)
    if not verdict["ok"]:
        return verdict
    context, problem = decode_context(path_parameter)
    if problem:
        return problem
    skew = (parse_time(case["now"]) - parse_time(context["requested_at"])).total_seconds()
    if abs(skew) > case["tolerance_seconds"]:
        return fail("stale")
    return {"ok": True}


def check_standard(case, body):
    first = lambda name: (header_values(case["headers"], name) or [""])[0]
    msg_id, timestamp, signatures = first("webhook-id"), first("webhook-timestamp"), first("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return fail("missing")
    if not UNIX_SECONDS.fullmatch(timestamp):
        return fail("malformed")
    # Whole seconds, as the specification's libraries compare them.
    now = math.floor(parse_time(case["now"]).timestamp())
    tolerance = case["tolerance_seconds"]
    if now - int(timestamp) > tolerance or int(timestamp) > now + tolerance:
        return fail("stale")
    secret = case["secret"]
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    signed = msg_id.encode("utf-8") + b"." + timestamp.encode("ascii") + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode("ascii", "replace"), expected.encode("ascii")):
            return {"ok": True}
    return fail("mismatch")


def check_github(case, body):
    values = header_values(case["headers"], "X-Hub-Signature-256")
    if not values or values[0] == "":
        return fail("missing")
    if len(values) > 1 or not GITHUB_SIGNATURE.fullmatch(values[0]):
        return fail("malformed")
    expected = "sha256=" + hmac.new(case["secret"].encode("utf-8"), body, hashlib.sha256).hexdigest()
    return {"ok": True} if hmac.compare_digest(values[0], expected) else fail("mismatch")


def check_webhook(case):
    body = case["body"].encode("utf-8")
    scheme = case["scheme"]
    if scheme == "yetto":
        return verify_hex(case["secret"], body, header_values(case["headers"], "X_YETTO_SIGNATURE", "X-Yetto-Signature"))
    if scheme == "standard":
        return check_standard(case, body)
    if scheme == "github":
        return check_github(case, body)
    raise ValueError(f"unknown scheme {scheme!r} in case {case['description']!r}")


def check(case):
    return check_webhook(case) if "scheme" in case else check_request(case)


def main(argv):
    as_json = "--json" in argv
    files = [arg for arg in argv if arg != "--json"] or [str(Path(__file__).with_name(name)) for name in ("request-signature.json", "webhooks.json")]
    verdicts, disagreements = [], 0
    for file in files:
        try:
            cases = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"{file}: cannot read the vectors: {error}", file=sys.stderr)
            return 2
        for case in cases:
            verdict = check(case)
            verdicts.append({"description": case["description"], **verdict})
            agrees = verdict == {key: case["expected"][key] for key in ("ok", "reason") if key in case["expected"]}
            disagreements += 0 if agrees else 1
            if not as_json:
                print(f"{'✔' if agrees else '✖'} {case['description']}" + ("" if agrees else f": got {json.dumps(verdict)}, expected {json.dumps(case['expected'])}"))
    if as_json:
        print(json.dumps(verdicts, ensure_ascii=False, indent=1))
    else:
        print(f"{len(verdicts) - disagreements} of {len(verdicts)} cases agree")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
