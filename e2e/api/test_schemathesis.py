"""Property-based API tests: schemathesis against the real `omnisonicd run`.

Runs against the daemon of e2e/conftest.py: a temporary library (a small make-corpus corpus, a temporary data folder,
127.0.0.1 and a port chosen by the system), loads /api/openapi.json from it, and sends generated
requests for every operation. Fails on any 5xx, on a response that does not match the document
(status, content type, JSON schema), and on the other default schemathesis checks.

Skipped, with the reason, when the binary is not built, has no `run` command, or serves no HTTP
(a build where the daemon does not wire the server yet).

    python3 -m pytest e2e/api -q
    SCHEMATHESIS_EXAMPLES=200 OMNISONICD_BIN=.build/release/omnisonicd python3 -m pytest e2e/api
"""

import os

import pytest

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402  (after the importorskip)

# `daemon_url` (e2e/conftest.py): the real daemon on a 12-track make-corpus library.


# M3U imports are sent as audio/x-mpegurl (text/plain is refused: a cross-site page can send it
# without asking). The document's schema is a string: send its UTF-8 bytes.
@schemathesis.serializer("audio/x-mpegurl")
def m3u_serializer(ctx, value):
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


@pytest.fixture(scope="session")
def api_schema(daemon_url):
    return schemathesis.openapi.from_url(daemon_url + "/api/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402

# RFC 9110 answers a Range header that cannot be served (malformed, or outside the file) with 416,
# which these two checks do not count as a rejection nor allow for a valid request; every other
# check (no 5xx, status codes, content types, schemas) still applies to the stream.
RANGE_EXEMPT = {"streamTrack"}
# An M3U body is text (lines the parser does not know are skipped; a plain list of paths is taken
# too, only bytes that are not text are refused), so a "schema-violating"
# body such as {} turns into valid text on the wire: nothing to reject.
ANY_TEXT = {"importPlaylist"}
# A device name is valid only when ALSA lists it or the configuration names it (decision 0015: a
# name reaches alsa-lib only then); the schema cannot enumerate this machine's devices, so a
# schema-valid made-up name is rightly refused with 400 device_refused.
ALLOW_LISTED = {"playerOutput"}
# A schedule's cross-field rules (a date only for `once`, one day for `weekly`, a time zone this
# machine's tzdata knows, a real calendar date) and the statistics' `tz` (a known zone) are stated
# in the document's prose, not in its schema: a schema-valid made-up value is rightly refused (400).
CROSS_FIELD = {"createSchedule", "updateSchedule", "stats"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_and_never_answers_5xx(case):
    excluded = []
    operation = case.operation.definition.raw.get("operationId")
    if operation in RANGE_EXEMPT:
        excluded = [negative_data_rejection, positive_data_acceptance]
    elif operation in ANY_TEXT:
        excluded = [negative_data_rejection]
    elif operation in ALLOW_LISTED or operation in CROSS_FIELD:
        excluded = [positive_data_acceptance]
    case.call_and_validate(excluded_checks=excluded)
