"""`make bench`: one run, one report (Markdown on stdout, also bench/latest.md)."""
from __future__ import annotations

import os
import platform
import sys
import uuid
from pathlib import Path

import pytest

from infra.local.emulator import Emulator
from infra.local.provision import provision
from infra.template import app_environment


def _api_report() -> list[str]:
    from chalice.test import Client

    from app import app
    from bench import api
    from infra.local.chalice_local import harden_chalice_local
    from testkit import tokens as tokens_util

    harden_chalice_local()

    def token_for() -> tuple[str, dict]:
        user_id = f"bench-{uuid.uuid4().hex}"
        token = tokens_util.sign(tokens_util.claims(os.environ["USER_POOL_ID"],
                                                    os.environ["USER_POOL_CLIENT_ID"], user_id))
        return user_id, {"Authorization": f"Bearer {token}"}

    imports = api.import_ratio()
    with Client(app, stage_name="bench") as client:
        scaling = api.list_scaling(client, token_for)
    return api.report(imports, scaling, api.throughput())


def main() -> int:
    env = pytest.MonkeyPatch()
    emulator = Emulator(port=0).start()
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": emulator.url,
                       "STAGE": "local", "SIGNUP_CREDITS": "100"}.items():
        env.setenv(key, value)
    outputs = provision("local", endpoint_url=emulator.url)
    for key, value in app_environment(outputs).items():
        env.setenv(key, value)
    stack = {**outputs, "endpoint": emulator.url}

    from bench import (
        captions,
        courses,
        export,
        fallback,
        knowledge,
        notes,
        processing,
        retrieval,
        reviews,
        sentences,
        upload_spend,
    )

    lines = ["# Benchmark report", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}. One run; figures are wall-clock seconds.", ""]
    lines += processing.report(processing.run(stack, env))
    lines += fallback.report(fallback.run(stack, env))
    lines += processing.report_adversarial(processing.run_adversarial(stack, env))
    lines += upload_spend.report(upload_spend.run(stack, env))
    lines += captions.report(captions.run())
    lines += export.report(export.run(stack, env))
    lines += reviews.report(reviews.run(stack, env))
    lines += courses.isolated_report()
    lines += retrieval.report(retrieval.run_isolated())
    lines += [""] + _api_report()
    lines += knowledge.report(knowledge.run(stack, env))
    lines += [""] + notes.report(notes.run_offline(), notes.run_claude())
    lines += sentences.report(sentences.run())
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    Path(__file__).with_name("latest.md").write_text(text)
    env.undo()
    emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
