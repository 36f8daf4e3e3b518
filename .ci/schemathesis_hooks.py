"""Schemathesis hooks for .ci/schemathesis.

A real client makes each report's Idempotency-Key unique. Hypothesis reuses small values
("0") across different bodies, which the API rightly refuses (422: the same key with
another body; tests/api/api_outcome.rs proves it). A generated key that is valid is made
unique here; an invalid or missing one is left as generated, so those refusals are still
checked."""

import re
import uuid

import schemathesis

VALID = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def map_headers(context, headers):
    if headers is None:
        return headers
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and VALID.match(headers[name]):
            headers[name] = f"{headers[name][:200]}-{uuid.uuid4()}"
    return headers
