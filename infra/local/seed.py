"""`make seed`: a demo user and sample lectures in the transcript cache.

Runs against the local stack that `make run` started (it reads
.local/outputs.json). The samples (infra/local/samples/*.json, written for this
project) go into the transcript cache, so submitting them works offline:
https://www.youtube.com/watch?v=sbPhysics01 and the others below.
Running it again changes nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import boto3

PROJECT_DIR = Path(__file__).resolve().parents[2]
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
DEMO_EMAIL = "demo@studybuddy.local"
DEMO_PASSWORD = "Demo!Passw0rd"


def samples() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(SAMPLES_DIR.glob("*.json"))]


def seed(outputs: dict) -> list[str]:
    endpoint = outputs["AwsEndpointUrl"]
    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                    region_name="us-east-1")
    cognito = session.client("cognito-idp", endpoint_url=endpoint)
    try:
        cognito.sign_up(ClientId=outputs["UserPoolClientId"], Username=DEMO_EMAIL,
                        Password=DEMO_PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": DEMO_EMAIL},
                                        {"Name": "name", "Value": "Demo Student"}])
        cognito.admin_confirm_sign_up(UserPoolId=outputs["UserPoolId"], Username=DEMO_EMAIL)
        # The local stage verifies at sign-up; the bonus needs it (docs/DESIGN.md 5).
        cognito.admin_update_user_attributes(
            UserPoolId=outputs["UserPoolId"], Username=DEMO_EMAIL,
            UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    except cognito.exceptions.UsernameExistsException:
        pass
    s3 = session.client("s3", endpoint_url=endpoint)
    ids = []
    for sample in samples():
        s3.put_object(Bucket=outputs["NotesBucketName"],
                      Key=f"transcripts/{sample['video_id']}.json",
                      Body=json.dumps(sample).encode(), ContentType="application/json")
        ids.append(sample["video_id"])
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path,
                        default=Path(os.environ.get("LOCAL_STATE_DIR", PROJECT_DIR / ".local")))
    args = parser.parse_args(argv)
    outputs_file = args.state_dir / "outputs.json"
    if not outputs_file.exists():
        print(f"No local stack found ({outputs_file} is missing): start it with `make run` "
              "in another shell first.", file=sys.stderr)
        return 1
    try:
        ids = seed(json.loads(outputs_file.read_text()))
    except Exception as exc:  # noqa: BLE001 - say what to do, not a traceback
        print(f"Could not reach the local stack ({type(exc).__name__}): is `make run` "
              "still going?", file=sys.stderr)
        return 1
    print(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    for video_id in ids:
        print(f"Sample lecture: https://www.youtube.com/watch?v={video_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
