"""A real browser (Debian's headless Chromium) reports a dispute on the web chat page by typing
and tapping, on a phone-sized window; screenshots go to test-artifacts/.

Without /usr/bin/chromium and /usr/bin/chromedriver the test skips, unless
JIEFEN_REQUIRE_BROWSER=1 (CI), which makes that a failure; scripts/install-browser.sh
installs them.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.files import EvidenceStore
from jiefen.channels import web_chat
from jiefen.server import create_web_app
from jiefen.settings import PROJECT_ROOT
from tests.servers import serving

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WIDTH, HEIGHT = 390, 844
WAIT_SECONDS = 30

pytestmark = pytest.mark.slow


@pytest.fixture
def browser_paths() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = f"no browser for the web chat test: {', '.join(missing)} missing"
    if os.environ.get("JIEFEN_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " and JIEFEN_REQUIRE_BROWSER=1 (run scripts/install-browser.sh)")
    pytest.skip(message + " (scripts/install-browser.sh installs them)")


class Resident:
    """Drives the page like a person: reads the bubbles, types, taps buttons."""

    def __init__(self, driver, shots: Path) -> None:  # type: ignore[no-untyped-def]
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.shots, self.step = driver, shots, 0
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def bot_count(self) -> int:
        return len(self.driver.find_elements("css selector", "#log .msg.bot"))

    def log_text(self) -> str:
        return self.driver.find_element("id", "log").text

    def settled(self, before: int) -> None:
        """Waits for a new reply and for the page to stop sending."""
        self.wait.until(
            lambda d: (
                self.bot_count() > before
                and d.find_element("tag name", "body").get_attribute("aria-busy") == "false"
            )
        )

    def see(self, needle: str) -> None:
        self.wait.until(lambda _: needle in self.log_text())

    def type(self, text: str) -> None:
        before = self.bot_count()
        box = self.driver.find_element("id", "text")
        box.send_keys(text)
        self.driver.find_element("id", "send").click()
        self.settled(before)

    def tap(self, label_part: str) -> None:
        before = self.bot_count()
        live = self.driver.find_elements("css selector", "#log .options button:enabled")
        matches = sorted(  # "同意" is the button 同意, not 不同意
            (b for b in live if label_part in b.text),
            key=lambda b: (not b.text.startswith(label_part), len(b.text)),
        )
        assert matches, f"no live button {label_part!r} in {[b.text for b in live]}"
        matches[0].click()
        self.settled(before)

    def attach(self, path: Path) -> None:
        before = self.bot_count()
        self.driver.find_element("id", "file").send_keys(str(path))
        self.settled(before)

    def live_buttons(self) -> list[str]:
        return [
            b.text
            for b in self.driver.find_elements("css selector", "#log .options button:enabled")
        ]

    def shot(self, name: str) -> Path:
        self.step += 1
        path = self.shots / f"webchat-{self.step:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def _chrome(profile: Path):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


def _report_a_dispute(base: str, profile: Path, photo: Path) -> str:
    """The whole conversation, blocking (Selenium is synchronous): runs in a worker thread
    while the server keeps serving on the test's event loop."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver = _chrome(profile)
    try:
        driver.set_window_size(WIDTH, HEIGHT)
        you = Resident(driver, ARTIFACTS)
        driver.get(base + "/")
        you.see("我要反映纠纷")
        assert "在线反映" in driver.title  # Chinese first, whatever the browser's language
        assert driver.execute_script("return document.documentElement.clientWidth") <= WIDTH
        you.shot("welcome")
        you.type("隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着，说了好几次也不听")
        you.see("隐私说明")
        you.shot("privacy-notice")
        you.tap("同意")
        you.tap("对，就是这个" if "对，就是这个" in you.live_buttons() else "邻里纠纷")
        you.see("哪个镇")
        you.type("枫桥镇陈家村")
        you.type("隔壁邻居王某")
        you.tap("最近几天")
        you.tap("停止侵害")
        you.shot("evidence-question")
        you.attach(photo)
        you.see("scene.jpg")
        you.tap("完成")
        you.see("联系电话")
        you.type("138 1234 5678")
        you.see("请核对")
        you.shot("summary")
        you.tap("确认提交")
        found = re.search(r"\d{4}-\d{6}", you.log_text())
        you.shot("case-number")
        assert found, you.log_text()
        driver.refresh()  # the transcript survives a reload of the tab
        you.see(found.group(0))
        return found.group(0)
    finally:
        driver.quit()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_resident_reports_a_dispute_in_a_real_browser(
    browser_paths: None, app, tmp_path: Path
) -> None:
    channel = web_chat(app, "browser-test-secret", EvidenceStore(tmp_path / "evidence"))
    photo = tmp_path / "scene.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    async with serving(create_web_app(app, [channel], run_worker=False)) as base:
        number = await asyncio.to_thread(_report_a_dispute, base, tmp_path / "profile", photo)
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    assert (ARTIFACTS / "webchat-05-case-number.png").exists()
    assert len(list((tmp_path / "evidence").rglob("*.jpg"))) == 1
