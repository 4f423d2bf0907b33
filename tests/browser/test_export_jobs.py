"""A large library's export in the browser: GET /notes/export answers 202, the page
asks GET /notes/export/{id} until the local stack's worker has built the file, then
downloads it. The shared stack exports its small libraries at once, so this module
starts its own with EXPORT_SYNC_MAX_NOTES=2: a library of three notes is "large"."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from testkit.live_stack import PROJECT_DIR, Stack, start_web
from tests.browser.conftest import Site, expect, open_page, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SYNC_MAX_NOTES = 2
SAMPLES = ("sbPhysics01", "sbBiology01", "sbHistory01")  # infra/local/samples, seeded


@pytest.fixture(scope="module")
def small_limit_site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The local stack and the web client, as tests/browser/conftest.py's `site`, with
    exports of more than SYNC_MAX_NOTES notes left to the worker."""
    state_dir = tmp_path_factory.mktemp("export-jobs-stack")
    web, web_port = start_web(state_dir / "outputs.json")  # first: the stack allows it
    origin = f"http://127.0.0.1:{web_port}"
    stack = None
    try:
        stack = Stack(state_dir, env={"ALLOWED_ORIGINS": origin, "SIGNUP_CREDITS": "10",
                                      "EXPORT_SYNC_MAX_NOTES": str(SYNC_MAX_NOTES)}).start()
        seeded = subprocess.run([sys.executable, "-m", "infra.local.seed", "--state-dir",
                                 str(state_dir)], cwd=PROJECT_DIR, capture_output=True,
                                text=True, timeout=60)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        outputs = json.loads((state_dir / "outputs.json").read_text())
        yield Site(api=stack.api, origin=origin, outputs=outputs, stack=stack)
    finally:
        web.terminate()
        web.wait(timeout=10)
        if stack is not None:
            stack.stop()


@pytest.fixture(scope="module")
def collector(small_limit_site: Site) -> dict:
    """A student with more notes than the stack exports at once."""
    user = small_limit_site.register("Collector")
    for sample in SAMPLES:
        small_limit_site.process(user, sample)
    return user


@pytest.fixture
def page_and_watch(browser: Any, small_limit_site: Site,
                   request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    yield from open_page(browser, small_limit_site, request)


def test_a_large_library_is_built_by_the_worker_then_downloaded(page_and_watch, collector,
                                                                 small_limit_site) -> None:
    page, watch = page_and_watch
    sign_in(page, collector, "/settings")
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="Export Obsidian vault").click()
        building = page.get_by_test_id("export-building")
        expect(building).to_contain_text("3 notes")
        expect(page.get_by_role("button", name="Preparing…")).to_be_disabled()
    download = info.value
    assert re.fullmatch(r"study-buddy-vault-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as vault:
        notes = [n for n in vault.namelist() if not n.endswith("Index.md")]
    assert len(notes) == len(SAMPLES), notes
    expect(page.get_by_test_id("export-ready")).to_contain_text("3 notes")
    expect(page.get_by_test_id("export-building")).to_have_count(0)
    # The page asked for the export, was given an id, and asked after it until ready.
    polled = [url for url in watch.requests if re.search(r"/notes/export/[0-9a-f]{32}$", url)]
    assert polled, watch.requests

    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="Export Anki deck").click()
    deck = open(info.value.path(), encoding="utf-8").read()
    assert deck.startswith("#separator:tab")
    assert info.value.suggested_filename.endswith(".txt")
