"""Start a real server on the seed corpus, ask two questions in Chromium, open the evidence of the
second answer, save screenshots of the workspace: desktop (OUT) and phone (OUT with -phone).

Usage: python tests/screenshot.py docs/screenshot.png   (what `make screenshot` runs)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, Server  # noqa: E402


def main(out: str) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(REPO / "docs_corpus", corpus)
        server = Server(corpus, Path(tmp) / "index")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                phone = str(Path(out).with_name(Path(out).stem + "-phone" + Path(out).suffix))
                for viewport, path in (({"width": 1400, "height": 900}, out), ({"width": 390, "height": 844}, phone)):
                    page = browser.new_page(viewport=viewport)
                    page.goto(server.url)
                    for n, question in enumerate(["how many survivors", "How many people died?"]):
                        page.fill("#question", question)
                        page.keyboard.press("Enter")
                        page.locator(".turn").nth(n).locator(".answer").wait_for()
                    page.locator(".turn").nth(1).locator(".answer-text a.cite").click()
                    page.locator("#evidence .evidence-para.cited").wait_for()
                    page.screenshot(path=path, full_page=False)
                    page.close()
                browser.close()
        finally:
            server.stop()
    print(f"wrote {out} and its -phone twin")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")
