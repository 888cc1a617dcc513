"""The README's screenshots, made again: ``python scripts/screenshots.py`` (in the repository's
root, in an environment with ``pip install -e ".[dev]"``, Debian's chromium and
chromium-driver).

    docs/page.png       the interactive page of the sigmoid neuron, in the backward pass,
                        quiz on, a wrong answer typed and its hint shown
    docs/notebook.png   a notebook cell with the %%backprop magic and its output (the
                        notebook is executed by a real kernel; its input and output are
                        then shown in the browser with a notebook's look)
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOK_CELL = "%%backprop x=-2 y=5 z=-4\nq = x + y\nf = q * z"


def browser(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--hide-scrollbars", f"--window-size={width},{height}"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options,
                            service=Service(executable_path="/usr/bin/chromedriver"))


def page_screenshot(folder: Path) -> None:
    page = folder / "page.html"
    subprocess.run([sys.executable, "-m", "backprop_cli", "draw", "sigmoid-neuron",
                    "--precision", "2", "-o", str(page)], check=True)
    chrome = browser(1000, 760)
    try:
        chrome.get(page.as_uri())
        chrome.find_element(By.ID, "quiz").click()
        body = chrome.find_element(By.TAG_NAME, "body")
        while chrome.find_element(By.ID, "ask").get_attribute("hidden") is not None:
            body.send_keys(Keys.ARROW_RIGHT)
        for _ in range(2):  # two edges answered, the third asked
            chrome.find_element(By.ID, "reveal").click()
            body.send_keys(Keys.ARROW_RIGHT)
        field = chrome.find_element(By.ID, "answer")
        field.send_keys("0.37", Keys.ENTER)  # the local gradient alone: a hint
        chrome.save_screenshot(str(DOCS / "page.png"))
    finally:
        chrome.quit()


def notebook_screenshot(folder: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("%load_ext backprop_cli"),
                      nbformat.v4.new_code_cell(NOTEBOOK_CELL)]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    output = notebook.cells[1].outputs[0]["data"]["text/html"]
    page = folder / "cell.html"
    page.write_text(CELL_PAGE.format(code=html.escape(NOTEBOOK_CELL), output=output), "utf-8")
    chrome = browser(900, 620)
    try:
        chrome.get(page.as_uri())
        chrome.find_element(By.ID, "cell").screenshot(str(DOCS / "notebook.png"))
    finally:
        chrome.quit()


CELL_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; background: #fff; }}
#cell {{ padding: 12px 16px; width: 860px; }}
.prompt {{ color: #303f9f; font-family: monospace; float: left; width: 70px; }}
pre {{ background: #f5f5f5; border: 1px solid #e0e0e0; padding: 6px 8px; margin: 0 0 8px 70px;
       font-size: 13px; }}
.out {{ margin-left: 70px; }}
</style></head><body><div id="cell"><div class="prompt">[2]:</div><pre>{code}</pre>
<div class="out">{output}</div></div></body></html>"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        page_screenshot(Path(folder))
        if "--page-only" not in sys.argv:
            notebook_screenshot(Path(folder))


if __name__ == "__main__":
    main()
