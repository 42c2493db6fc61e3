"""Local stand-ins for the two services, speaking their wire formats over real HTTP.

Used to record cassettes without credentials (`make record-emulated`) and by the tests.
Never imported by a notebook. What the model "says" comes from the reviewable reply
scripts in replies/*.yaml, chosen by what each request asks, never by request order.
"""

import datetime as _dt

VERSION = "0.5.0"
NAME = f"the notebook_replay local emulator {VERSION}"

# When an answer says it was created (Gradient `created`, OCI `timeCreated`): one fixed
# instant, so that re-recording an unchanged page rewrites nothing. The services stamp the
# time of the request (ledger: gradient.response.created, oci.response.created).
ANSWERED_AT = _dt.datetime(2026, 11, 22, tzinfo=_dt.timezone.utc)
