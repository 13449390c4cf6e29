"""Debian's headless Chromium under Selenium for the page tests, and the checks they run inside a page.

The browser is a test dependency like any other: when it is missing the tests fail and say
how to install it, rather than skip and let the pages go untested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-noto-cjk"

# Headless, and quiet: no first-run pages, no background calls home, so the only requests
# are the ones the page makes.
_ARGUMENTS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def chrome(profile: Path) -> webdriver.Chrome:
    """A fresh headless Chromium with its own profile folder, console messages kept for the tests."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"the browser tests need {' and '.join(missing)}; install them with: {INSTALL}", pytrace=False)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (*_ARGUMENTS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager, which would download one, never runs.
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


#: Controls without an accessible name: aria-labelledby, aria-label, a <label> (for= or around), or their own text.
UNNAMED_CONTROLS_JS = """
const unnamed = [];
const controls = document.querySelectorAll('input, textarea, button, select, a');
for (const el of controls) {
  const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  const names = [
    byIds.map(id => document.getElementById(id)?.textContent || '').join(' '),
    el.getAttribute('aria-label') || '',
    [...(el.labels || [])].map(label => label.textContent).join(' '),
    el.textContent,
  ];
  if (!names.some(name => name.trim())) unnamed.push(el.outerHTML.slice(0, 160));
}
return {count: controls.length, unnamed};
"""

#: Visible text whose WCAG contrast against the background it is drawn on is under 4.5:1.
LOW_CONTRAST_JS = """
const parse = (css) => {
  const parts = css.match(/[\\d.]+/g).map(Number);
  return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
};
const over = (top, bottom) => ({
  r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
  b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
});
const luminance = ({r, g, b}) => {
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
};
// The background a text is drawn on: the first opaque one up the ancestors, with any
// translucent ones on the way laid over it (white below everything).
const background = (el) => {
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour.a > 0) layers.push(colour);
    if (colour.a >= 1) break;
  }
  return layers.reverse().reduce((below, layer) => over(layer, below), {r: 255, g: 255, b: 255, a: 1});
};
const low = [];
let checked = 0;
for (const el of document.body.querySelectorAll('*')) {
  const ownText = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  if (!ownText && !['TEXTAREA', 'INPUT'].includes(el.tagName)) continue;
  const box = el.getBoundingClientRect();
  // Skips what is not drawn, and the 1px visually-hidden headings meant for screen readers.
  const drawn = el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  if (box.width <= 1 || box.height <= 1 || !drawn) continue;
  const bg = background(el);
  const fg = over(parse(getComputedStyle(el).color), bg);
  const [light, dark] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  const ratio = (light + 0.05) / (dark + 0.05);
  checked += 1;
  if (ratio < 4.5) low.push(`${ratio.toFixed(2)} ${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
}
return {checked, low};
"""
