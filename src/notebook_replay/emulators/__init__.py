"""Local stand-ins for the two services, speaking their wire formats over real HTTP.

Used to record cassettes without credentials (`make record-emulated`) and by the tests.
Never imported by a notebook. What the model "says" comes from the reviewable reply
scripts in replies/*.yaml, chosen by what each request asks, never by request order.
"""

VERSION = "0.3.2"
NAME = f"the notebook_replay local emulator {VERSION}"
