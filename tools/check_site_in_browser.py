"""Open the built website in headless Chromium and check it the way a reader would see it.

Serves `_build/html/` on a local port, with no other network, then, for every page: it loads
with no console errors and no failed request, fetches nothing from any other host, every
image is present, and every formula is typeset by the site's own MathJax. Then: a solution
block opens on click and shows its code, a hint opens on click, the search page finds a word from chapter 4,
and each chapter page has its Colab and download buttons; the teaching kit links a slide deck
per chapter, whose formulas the site's MathJax typesets and whose right-arrow key moves on.
Screenshots of the landing page, a chapter page and a slide go to `_build/screenshots/`.

Needs Debian's `chromium` and `chromium-driver` (apt). Without them it says so and exits 0,
so a learner's test command still passes; `--require`, or the environment variable
`REQUIRE_BROWSER_CHECK=1` (which `.ci/run` sets), makes their absence an error.

Usage: python tools/check_site_in_browser.py [--site _build/html] [--require]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import pathlib
import shutil
import sys
import threading
import time
from urllib.parse import urlparse

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEARCH_WORD = "sparsity"  # appears in chapter 4
SEARCH_TARGET = "chapter4_superposition.html"
CHAPTER_FOR_CLICKS = "book/chapter2_fourier.html"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):  # the browser cancelled a request
            pass


def serve(site: pathlib.Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def report(tool: str, checked: str, problems: list[str], screenshots: pathlib.Path) -> int:
    """Print each problem and a summary line; the exit status (1 if any problem)."""
    for problem in problems:
        print("PROBLEM", problem)
    where = screenshots.relative_to(ROOT) if screenshots.is_relative_to(ROOT) else screenshots
    print(f"{tool}: {checked}, {len(problems)} problems; screenshots in {where}")
    return 1 if problems else 0


def find_chromium() -> tuple[str, str] | None:
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def start_browser(browser: str, driver: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def pages(site: pathlib.Path) -> list[str]:
    skip = {"_static", "_sources", "_images", "_sphinx_design_static", "mathjax"}
    return sorted(
        str(p.relative_to(site)) for p in site.rglob("*.html") if not skip & set(p.relative_to(site).parts)
    )


def wait_until(check, timeout: float = 15.0, interval: float = 0.2):
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)


# Chromium may ask for /favicon.ico on its own, before it reads the page's <link rel="icon">
# (the site names _static/favicon.png): under load that guess can come first and get a 404.
# It is the browser's request, not the site's.
BROWSERS_OWN_GUESS = "/favicon.ico"


def network_problems(browser, base: str) -> list[str]:
    """Failed requests, HTTP errors and requests to other hosts, from the performance log."""
    problems, urls = [], {}
    host = urlparse(base).netloc
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            parsed = urlparse(url)
            if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != host:
                problems.append(f"fetches from another host: {url}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"request failed ({params.get('errorText')}): {urls.get(params['requestId'], '?')}")
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            if urlparse(params["response"]["url"]).path == BROWSERS_OWN_GUESS:
                continue
            problems.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
    return problems


def console_errors(browser) -> list[str]:
    return [f"console: {e['message']}" for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and BROWSERS_OWN_GUESS not in e["message"]]


MISSING_IMAGES = """
for (const image of document.images) image.loading = "eager";
return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);
"""
UNTYPESET_MATH = """
const math = [...document.querySelectorAll("span.math, div.math")];
return [math.length, math.filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.slice(0, 60))];
"""


def check_page(browser, base: str, page: str) -> list[str]:
    browser.get(base + page)
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
    wait_until(lambda: not browser.execute_script(MISSING_IMAGES))
    problems = [f"image not loaded: {src[:100]}" for src in browser.execute_script(MISSING_IMAGES)]
    n_math, untypeset = browser.execute_script(UNTYPESET_MATH)
    if n_math:
        wait_until(lambda: not browser.execute_script(UNTYPESET_MATH)[1])
        _, untypeset = browser.execute_script(UNTYPESET_MATH)
        problems += [f"math not typeset: {text!r}" for text in untypeset[:3]]
    time.sleep(0.3)  # let late requests and console messages arrive
    problems += console_errors(browser) + network_problems(browser, base)
    return problems


def open_first_details(browser, summary_starts: str, needs_code: bool = False, root: str = "") -> list[str]:
    """Click the first ``<summary>`` whose text starts with ``summary_starts`` (inside the
    element matched by the CSS selector ``root``, if given) the way a reader does: it must be
    closed before, open after, and with ``needs_code`` show a non-empty code block."""
    found = browser.execute_script(
        """const [root, starts] = arguments;
           const scope = root ? document.querySelector(root) : document;
           if (!scope) return null;
           return [...scope.querySelectorAll('details > summary')]
               .find(s => s.textContent.trim().startsWith(starts)) || null;""",
        root, summary_starts)
    what = f"the first {summary_starts.lower()} block"
    if found is None:
        return [f"no {summary_starts.lower()} block (<details><summary>{summary_starts}...)"]
    problems = []
    if browser.execute_script("return arguments[0].parentElement.open", found):
        problems.append(f"{what} is open before it is clicked")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", found)
    found.click()
    if not wait_until(lambda: browser.execute_script("return arguments[0].parentElement.open", found), timeout=5):
        return problems + [f"{what} does not open on click"]
    if needs_code:
        code = browser.execute_script(
            "const pre = arguments[0].parentElement.querySelector('pre'); return pre ? pre.innerText : ''", found)
        if len(code.strip().splitlines()) < 2:
            problems.append(f"{what} shows no code when opened (got {code.strip()[:80]!r})")
        elif not wait_until(lambda: browser.execute_script(
                "return arguments[0].parentElement.querySelector('pre').getBoundingClientRect().height > 20", found), timeout=5):
            problems.append(f"{what} has code that is not visible when opened")
    return problems


TEACHING_KIT = "book/teaching/index.html"


def check_interactions(browser, base: str, screenshots: pathlib.Path) -> list[str]:
    problems = []
    browser.get(base + CHAPTER_FOR_CLICKS)
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
    buttons = browser.execute_script(
        "return [...document.querySelectorAll('a, button')].map(e => (e.getAttribute('href') || '') + ' ' + (e.getAttribute('title') || e.getAttribute('aria-label') || '')).join('\\n')"
    )
    if "colab.research.google.com/github/" not in buttons:
        problems.append(f"{CHAPTER_FOR_CLICKS}: no 'open in Colab' button")
    if ".ipynb" not in buttons:
        problems.append(f"{CHAPTER_FOR_CLICKS}: no button to download the .ipynb")

    problems += [f"{CHAPTER_FOR_CLICKS}: {p}" for p in open_first_details(browser, "Solution", needs_code=True)]
    problems += [f"{CHAPTER_FOR_CLICKS}: {p}" for p in open_first_details(browser, "Hint")]
    browser.save_screenshot(str(screenshots / "chapter.png"))

    browser.get(base + f"search.html?q={SEARCH_WORD}")
    found = wait_until(
        lambda: browser.execute_script(
            "return [...document.querySelectorAll('#search-results a')].map(a => a.href).join(' ')"
        ).count(SEARCH_TARGET),
        timeout=20,
    )
    if not found:
        problems.append(f"search for {SEARCH_WORD!r} does not find {SEARCH_TARGET}")

    browser.get(base)
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
    browser.save_screenshot(str(screenshots / "landing.png"))
    return problems + check_slides(browser, base, screenshots)


def check_slides(browser, base: str, screenshots: pathlib.Path) -> list[str]:
    """The teaching kit links a deck per chapter; a deck typesets its formulas with the site's
    MathJax and moves on with the arrow key."""
    browser.get(base + TEACHING_KIT)
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
    links = browser.execute_script(
        "return [...document.querySelectorAll('a')].map(a => a.href).filter(h => h.includes('/slides/'))")
    decks = sorted({link.split("#")[0] for link in links if link.endswith(".html")})
    if len(decks) < 5:
        return [f"{TEACHING_KIT}: links {len(decks)} slide decks, expected one per chapter"]
    problems = []
    browser.get(decks[1])  # chapter 2: formulas on several slides
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
    typeset = wait_until(lambda: browser.execute_script("return document.querySelectorAll('mjx-container').length"), timeout=20)
    if not typeset:
        problems.append(f"{decks[1]}: no formula typeset (MathJax not loaded from the site?)")
    first = browser.execute_script("return document.querySelector('.footer').textContent")
    browser.find_element("tag name", "body").send_keys("\ue014")  # the right-arrow key
    moved = wait_until(lambda: browser.execute_script("return document.querySelector('.footer').textContent").startswith("2 / "))
    if not (first.startswith("1 / ") and moved):
        problems.append(f"{decks[1]}: the right-arrow key does not move to slide 2 (footer {first!r})")
    browser.save_screenshot(str(screenshots / "slides.png"))
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=pathlib.Path, default=ROOT / "_build" / "html")
    parser.add_argument("--require", action="store_true", help="fail if Chromium is missing (CI)")
    args = parser.parse_args()
    found = find_chromium()
    if found is None:
        print("check_site_in_browser: chromium and chromedriver not found, browser check skipped "
              "(Debian/Ubuntu: apt install chromium chromium-driver)")
        return 1 if args.require or os.environ.get("REQUIRE_BROWSER_CHECK") == "1" else 0
    if not (args.site / "index.html").exists():
        print(f"check_site_in_browser: no built site at {args.site}; build it with: jupyter-book build . -W")
        return 1
    screenshots = args.site.parent / "screenshots"
    screenshots.mkdir(exist_ok=True)
    server, base = serve(args.site)
    browser = start_browser(*found)
    problems = []
    try:
        all_pages = pages(args.site)
        for page in all_pages:
            problems += [f"{page}: {p}" for p in check_page(browser, base, page)]
        problems += check_interactions(browser, base, screenshots)
    finally:
        browser.quit()
        server.shutdown()
    return report("check_site_in_browser", f"{len(all_pages)} pages", problems, screenshots)


if __name__ == "__main__":
    sys.exit(main())
