"""Headless Chromium for the dashboard and report tests: Debian's `chromium` driven by Debian's `chromedriver`
through Selenium, with nothing fetched from the network.

- Selenium Manager is off (`SE_OFFLINE=true`) and both paths are given explicitly, so Selenium never looks for or
  downloads a browser or a driver.
- Chromium starts with `--disable-background-networking --disable-component-update --no-first-run` (no update
  checks, no component downloads, no first-run pings) and a throwaway profile.
- Screenshots go to `artifacts/screenshots/` at the repository root (or `$TABLECAST_ARTIFACTS/screenshots`): CI
  leaves them behind for people to look at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TABLECAST_ARTIFACTS", REPO / "artifacts")) / "screenshots"

CHROMIUM_ARGUMENTS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-sync",
    "--metrics-recording-only",
    "--window-size=1440,1000",
]


def executable(name: str, *candidates: str) -> str:
    for candidate in candidates:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which(name)
    assert found, f"{name} is not installed (Scripts/test.sh installs Debian's chromium and chromium-driver)"
    return found


class Browser:
    """One headless Chromium with its own profile; `close()` ends it and removes the profile."""

    def __init__(self, dark: bool = False):
        self.profile = tempfile.mkdtemp(prefix="tablecast-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = executable("chromium", "/usr/bin/chromium")
        for argument in CHROMIUM_ARGUMENTS:
            options.add_argument(argument)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=executable("chromedriver", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)
        self.color_scheme("dark" if dark else "light")

    def color_scheme(self, scheme: str) -> None:
        """What `prefers-color-scheme` answers, as the system setting would."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": scheme}]})

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def by_id(self, element_id: str):
        return self.driver.find_element(By.ID, element_id)

    def js(self, script: str, *arguments):
        return self.driver.execute_script(script, *arguments)

    def wait(self, predicate: Callable[[], object], timeout: float = 15.0, what: str = "condition"):
        """Polls `predicate` until it is truthy; fails naming `what`, with the page's console."""
        deadline = time.monotonic() + timeout
        last_error: Optional[BaseException] = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except Exception as error:  # the element may not exist yet
                last_error = error
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                             f"{f' (last error: {last_error})' if last_error else ''}\nconsole: {self.console()}")

    def console(self) -> list:
        try:
            return [entry["message"] for entry in self.driver.get_log("browser")]
        except Exception:
            return []

    def errors(self) -> list:
        """Console errors other than the expected 401 of a page asking for its token."""
        return [message for message in self.console()
                if "SEVERE" in message or "Uncaught" in message]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


