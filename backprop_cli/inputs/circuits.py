"""Circuit files (TOML) and the bundled library under ``circuits/``.

A circuit file holds a title and description, the program, default input values, an
optional upstream gradient and output name, and the expected answers.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CircuitError
from ..limits import current

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable
    from pathlib import Path

SUFFIX = ".toml"
PROGRAM_SUFFIXES = (".toml", ".bp", ".txt")
_ALLOWED_KEYS = {"title", "description", "program", "inputs", "expect", "output", "upstream",
                 "gates"}
# what a bundled circuit's name may look like (a program such as "(x+y)*z" never does, so
# the library is not listed for it)
NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass
class Circuit:
    """A program with what a circuit file may say about it."""

    program: str
    name: str = "<expression>"
    title: str = ""
    description: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    upstream: Any = None
    path: str | None = None
    gates: dict[str, Any] = field(default_factory=dict)


def _library() -> Traversable:
    """The installed circuit library, or the source tree's circuits/ when run from a checkout."""
    from importlib import resources
    from pathlib import Path

    try:
        return resources.files("backprop_cli.library")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "circuits"


def bundled_names() -> list[str]:
    """Names of the circuits that ship with the tool, sorted."""
    return sorted(item.name[: -len(SUFFIX)] for item in _library().iterdir()
                  if item.name.endswith(SUFFIX))


def load_bundled(name: str) -> Circuit:
    if name not in bundled_names():
        raise CircuitError(f"no bundled circuit named {name!r} (see `backprop circuits`)")
    text = _library().joinpath(name + SUFFIX).read_text("utf-8")
    return parse_circuit(text, name, f"circuits/{name}{SUFFIX}")


def load_file(path: Path) -> Circuit:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CircuitError(f"cannot read {str(path)!r}: {error.strerror}") from None
    text = decode(data, str(path))
    if path.suffix == SUFFIX:
        return parse_circuit(text, path.stem, str(path))
    return Circuit(program=text, name=path.stem, path=str(path))


def decode(data: bytes, where: str) -> str:
    """UTF-8 text without a BOM; anything else is a clear error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CircuitError(f"{where} is not valid UTF-8 (byte {error.start})") from None


def parse_circuit(text: str, name: str, path: str) -> Circuit:
    """Read a circuit file's TOML; its program is parsed later like any other."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CircuitError(f"{path} is not valid TOML: {error}") from None
    except ValueError:  # an integer longer than Python converts (see limits.using)
        raise CircuitError(f"{path}: an integer has more digits than the limit of "
                           f"{current().exact_digits:,}; raise it with --limit "
                           "exact-digits=N") from None
    unknown = sorted(set(data) - _ALLOWED_KEYS)
    if unknown:
        raise CircuitError(f"{path}: unknown key {unknown[0]!r}")
    program = data.get("program")
    if not isinstance(program, str):
        raise CircuitError(f"{path} has no program = \"...\"")
    for key in ("inputs", "expect", "gates"):
        if not isinstance(data.get(key, {}), dict):
            raise CircuitError(f"{path}: [{key}] must be a table")
    return Circuit(program=program, name=name, title=str(data.get("title", "")),
                   description=str(data.get("description", "")),
                   inputs=dict(data.get("inputs", {})), expect=dict(data.get("expect", {})),
                   output=data.get("output"), upstream=data.get("upstream"), path=path,
                   gates=dict(data.get("gates", {})))


def resolve(source: str, stdin_text: str | None = None) -> Circuit:
    """What a SOURCE argument means: ``-`` (stdin), a file, a bundled circuit, or a program.

    A file is recognised by a .toml/.bp/.txt suffix, or as an existing path with a '/';
    ``circuits/NAME.toml`` falls back to the bundled circuit of that name when there is no
    such file here.
    """
    if source == "-":
        return Circuit(program=stdin_text or "", name="<stdin>")
    if source.endswith(PROGRAM_SUFFIXES) or ("/" in source and _is_file(source)):
        from pathlib import Path

        path = Path(source)
        if _is_file(source):
            return load_file(path)
        bundled = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else None
        if bundled is not None and bundled in bundled_names():
            return load_bundled(bundled)
        raise CircuitError(f"no such circuit file: {source!r}")
    if NAME_RE.fullmatch(source) and source in bundled_names():
        return load_bundled(source)
    return Circuit(program=source)


def refuse_misspelt_name(source: str, inputs: Iterable[str], given: Container[str]) -> None:
    """``two-layer-softmax`` names no circuit, so it reads as the program two - layer -
    softmax; when such a hyphenated word is close to a circuit's name and leaves inputs
    without values, say what happened."""
    missing = [name for name in inputs if name not in given]
    if "-" not in source or not NAME_RE.fullmatch(source) or not missing:
        return
    import difflib

    close = difflib.get_close_matches(source, bundled_names(), n=1)
    if not close:
        return  # x-y is a program that lacks a value, not a misspelt circuit
    raise CircuitError(f"no bundled circuit is named {source!r} (did you mean {close[0]}?); "
                       f"`backprop circuits` lists them. As a program, {source!r} subtracts "
                       f"inputs without values: {', '.join(missing)}")


def _is_file(source: str) -> bool:
    from pathlib import Path

    try:
        return "\n" not in source and Path(source).is_file()
    except (OSError, ValueError):
        return False
