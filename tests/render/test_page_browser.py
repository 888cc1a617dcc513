"""The interactive page in a real browser: headless Chromium driven by selenium.

The page of every bundled circuit is opened from disk, stepped through with the keys, and
its DOM read at every step: the numbers beside the highlighted edge and on the wires are
compared with the trace (computed here, not read from the page's own JSON), the forward pass
must show no gradient, nothing may be fetched and the console must stay free of errors.
These tests need Debian's chromium and chromium-driver (.ci/run installs them); they fail,
rather than skip, when those are missing: a page nobody opened is not a tested one.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from backprop_cli import Trace, run
from backprop_cli.api import expanded
from backprop_cli.inputs.circuits import bundled_names, load_bundled

from conftest import invoke

BROWSER = "chromium"
DRIVER = "chromedriver"
WIRE_DIGITS = 5e-4  # the wires show 4 significant digits
PANEL_DIGITS = 5e-4  # the step panel shows numbers as the tables do: 4 significant digits

# One snapshot of the page's state, read in one call.
SNAPSHOT = """
const text = (selector) => { const e = document.querySelector(selector);
                              return e ? e.textContent : null; };
const wires = [...document.querySelectorAll('#stage .wire')].map((w) => ({
  id: w.id, edge: Number(w.dataset.edge), source: w.dataset.source,
  active: w.classList.contains('active'),
  value: [...w.querySelectorAll('text.value:not(.hidden)')].map((t) => t.textContent),
  grad: [...w.querySelectorAll('text.grad:not(.hidden)')].map((t) => t.textContent)}));
const nodes = Object.fromEntries([...document.querySelectorAll('#stage .box')].map(
  (b) => [b.id, Number(b.dataset.node)]));
return {counter: text('#counter'), phase: text('#phase'), wires: wires, nodes: nodes,
        product: document.querySelector('#product').hidden ? null : {
          upstream: text('[data-role=upstream]'), local: text('[data-role=local]'),
          downstream: text('[data-role=downstream]')},
        lines: [...document.querySelectorAll('#lines div')].map((d) => d.textContent),
        bubble: document.querySelector('#bubble').hidden ? null : text('#bubble'),
        asking: !document.querySelector('#ask').hidden, verdict: text('#verdict'),
        fetched: performance.getEntriesByType('resource').length};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which(BROWSER), shutil.which(DRIVER)
    assert binary and driver, "chromium is not installed: apt-get install chromium " \
                              "chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    yield chrome
    chrome.quit()


def open_page(browser: webdriver.Chrome, tmp_path: Path, *args: str) -> None:
    path = tmp_path / "page.html"
    result = invoke("draw", *args, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    browser.get(path.as_uri())
    browser.get_log("browser")  # start each page with an empty log


def snapshot(browser: webdriver.Chrome) -> dict[str, Any]:
    state: dict[str, Any] = browser.execute_script(SNAPSHOT)
    return state


def press(browser: webdriver.Chrome, key: str) -> None:
    browser.find_element(By.TAG_NAME, "body").send_keys(key)


def close(text: str, value: Any, tolerance: float) -> bool:
    """A number, or an array written as nested lists, or a shape like ``3×3``."""
    if "×" in text:
        return tuple(int(n) for n in text.split("×")) == np.shape(value)
    summary = re.fullmatch(r"([\dx]+) array \[.*\] min (\S+) max (\S+)", text)
    if summary:  # a large array as the tables summarise it: shape, smallest, largest
        shape, low, high = summary.groups()
        want = np.asarray(value, dtype=float)
        return tuple(int(n) for n in shape.split("x")) == want.shape and \
            close(low, want.min(), tolerance) and close(high, want.max(), tolerance)
    if text.startswith("≈"):
        text = text[1:]
    if text.endswith(")") and " (" in text:  # an exact number with its decimal: 1/4 (0.25)
        text = text.rsplit(" (", 1)[1][:-1]
    try:
        got = np.asarray(json.loads(text.replace("inf", "Infinity")), dtype=float)
    except json.JSONDecodeError:  # an exact number as the tool writes it: e, exp(-1), 1/4
        got = np.asarray(float(sympy.sympify(text, locals={"e": sympy.E, "pi": sympy.pi})))
    want = np.asarray(value, dtype=float)
    return got.shape == want.shape and bool(np.all(
        np.isclose(got, want, rtol=tolerance, atol=tolerance) | (got == want)))


def errors(browser: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE"]


# beyond the bundled circuits: (draw's arguments, the same trace from the library)
MORE_PAGES = {
    "expanded": (["sigmoid-neuron-grouped", "--expand"],
                 lambda: expanded(run("sigmoid-neuron-grouped"))),
    "exact": (["f = 1/(1+exp(-x))", "x=1", "--exact"],
              lambda: run("f = 1/(1+exp(-x))", {"x": 1}, exact=True)),
    "user gate": (["def sq(a): a * a\nf = sq(x) + relu(x)", "x=2"],
                  lambda: run("def sq(a): a * a\nf = sq(x) + relu(x)", {"x": 2})),
    "identity": (["f = x", "x=2"], lambda: run("f = x", {"x": 2})),
    "overflow": (["f = x + x*y", "x=1e300", "y=1e300"],
                 lambda: run("f = x + x*y", {"x": 1e300, "y": 1e300})),
    "upstream": (["simple-circuit", "--upstream", "2"],
                 lambda: run("simple-circuit", upstream=2)),
}


@pytest.mark.parametrize("name", bundled_names())
def test_stepping_through_shows_the_trace(browser: webdriver.Chrome, tmp_path: Path,
                                          name: str) -> None:
    walk_and_compare(browser, tmp_path, [name], run(load_bundled(name)))


@pytest.mark.parametrize("case", sorted(MORE_PAGES))
def test_other_pages_show_their_traces(browser: webdriver.Chrome, tmp_path: Path,
                                       case: str) -> None:
    args, trace = MORE_PAGES[case]
    walk_and_compare(browser, tmp_path, args, trace())


def walk_and_compare(browser: webdriver.Chrome, tmp_path: Path, args: list[str],
                     trace: Trace) -> None:
    """Step through with the keys; every number shown must be the trace's."""
    open_page(browser, tmp_path, *args)
    state = snapshot(browser)
    total = int(state["counter"].split()[-1])
    edges_seen = set()
    for step in range(total):
        assert state["counter"] == f"step {step + 1} of {total}"
        if state["phase"] == "Forward pass":
            assert not any(wire["grad"] for wire in state["wires"])
        if state["product"] is not None:  # an edge: upstream × local = downstream
            active = [w for w in state["wires"] if w["active"]]
            assert len(active) == 1 and active[0]["edge"] >= 0
            edge = trace.edge(active[0]["edge"])
            edges_seen.add(active[0]["edge"])
            product = state["product"]
            assert close(product["upstream"], edge.upstream, PANEL_DIGITS)
            assert close(product["downstream"], edge.downstream, PANEL_DIGITS)
            if edge.local is not None:
                assert close(product["local"], edge.local, PANEL_DIGITS)
            assert state["bubble"] == f"{product['upstream']} × {product['local']} = " \
                                      f"{product['downstream']}"
        press(browser, Keys.ARROW_RIGHT)
        state = snapshot(browser)
    assert state["counter"] == f"step {total} of {total}"  # the last step stays
    for wire in state["wires"]:  # everything shown: every number is the trace's
        source = trace.values[state["nodes"][wire["source"]]]
        assert len(wire["value"]) == 1 and close(wire["value"][0], source, WIRE_DIGITS)
        if wire["edge"] >= 0:
            assert len(wire["grad"]) == 1
            assert close(wire["grad"][0], trace.edge(wire["edge"]).downstream, WIRE_DIGITS)
    drawn = {w["edge"] for w in state["wires"]} - {-1}
    assert edges_seen == drawn
    for line in state["lines"]:  # the done step: d out / d input for every input
        name_part, value = line.split(" = ", 1)
        assert close(value, trace.gradients[name_part.split("/d", 1)[1]], PANEL_DIGITS)
    assert len(state["lines"]) == len(trace.gradients)
    assert state["fetched"] == 0
    assert errors(browser) == []


def test_keys_and_buttons_go_back_and_forth(browser: webdriver.Chrome, tmp_path: Path) -> None:
    open_page(browser, tmp_path, "simple-circuit")
    press(browser, Keys.SPACE)
    press(browser, Keys.ARROW_RIGHT)
    assert snapshot(browser)["counter"].startswith("step 3 ")
    press(browser, Keys.ARROW_LEFT)
    assert snapshot(browser)["counter"].startswith("step 2 ")
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "prev").click()
    assert snapshot(browser)["counter"].startswith("step 3 ")
    browser.find_element(By.ID, "restart").click()
    state = snapshot(browser)
    assert state["counter"].startswith("step 1 ") and state["lines"] == ["x = -2", "y = 5",
                                                                         "z = -4"]
    press(browser, Keys.ARROW_LEFT)  # the first step stays
    assert snapshot(browser)["counter"].startswith("step 1 ")
    assert errors(browser) == []


def answer(browser: webdriver.Chrome, text: str) -> dict[str, Any]:
    field = browser.find_element(By.ID, "answer")
    field.clear()
    field.send_keys(text, Keys.ENTER)
    return snapshot(browser)


def to_first_edge(browser: webdriver.Chrome) -> dict[str, Any]:
    state = snapshot(browser)
    while state["product"] is None:
        press(browser, Keys.ARROW_RIGHT)
        state = snapshot(browser)
    return state


def test_quiz_asks_before_revealing_and_gives_the_tutors_hints(browser: webdriver.Chrome,
                                                               tmp_path: Path) -> None:
    open_page(browser, tmp_path, "sigmoid-neuron")
    browser.find_element(By.ID, "quiz").click()
    state = to_first_edge(browser)  # 1/x -> +1: upstream 1, local -0.5344...
    assert state["asking"] and state["product"]["downstream"] == "?"
    active = next(w for w in state["wires"] if w["active"])
    assert active["grad"] == []  # not shown before it is answered
    press(browser, Keys.ARROW_RIGHT)  # cannot skip the question with the keys
    assert snapshot(browser)["counter"] == state["counter"]
    trace = run(load_bundled("sigmoid-neuron"))
    edge = trace.edge(active["edge"])
    wrong = answer(browser, repr(-float(edge.downstream)))
    assert wrong["verdict"] == "not yet: the sign is flipped" and wrong["asking"]
    assert answer(browser, "abc")["verdict"].startswith("type a number")
    right = answer(browser, f"{float(edge.downstream):.2f}")  # judged to the digits typed
    assert right["verdict"].startswith("right") and not right["asking"]
    assert next(w for w in right["wires"] if w["active"])["grad"] != []
    press(browser, Keys.ARROW_RIGHT)
    state = snapshot(browser)  # +1 -> exp: upstream -0.5344, local 1
    while not state["asking"]:
        press(browser, Keys.ARROW_RIGHT)
        state = snapshot(browser)
    edge = trace.edge(next(w for w in state["wires"] if w["active"])["edge"])
    if float(edge.upstream) != 1 and edge.local is not None \
            and not math.isclose(float(edge.local), float(edge.downstream)):
        hint = answer(browser, repr(float(edge.local)))["verdict"]
        assert "local gradient" in hint and "alone" in hint
    browser.find_element(By.ID, "reveal").click()
    assert not snapshot(browser)["asking"]
    assert errors(browser) == []
