"""Print pip constraints pinning every ``name>=X`` of pyproject.toml to ``name==X``.

``.ci/run`` installs the package with them, so each declared floor is a version that is really
tested. Usage: ``python .ci/floors.py [--beside-frameworks] EXTRA... > constraints.txt``; the
core dependencies are always included, and urllib3 is held below 2 (requests allows 1.26).
``--beside-frameworks`` leaves out the pins the frameworks' own requirements exclude, each
with its reason below: the core is tested at exactly its floors in a venv of its own.
``--requirements`` prints the requirements themselves instead (extras expanded, the project
left out), so a venv's dependencies can be installed before the project is.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

FREE_BESIDE_FRAMEWORKS = {
    "orjson": "langsmith, which langchain-core needs, asks for orjson>=3.9.14",
    "urllib3": "types-requests (the dev extra) asks for urllib3>=2",
}

project = tomllib.loads(Path(__file__).resolve().parents[1].joinpath("pyproject.toml")
                        .read_text())["project"]
args = sys.argv[1:]
beside = "--beside-frameworks" in args
wanted = list(project["dependencies"])
extras = [a for a in args if not a.startswith("--")]
while extras:
    for spec in project["optional-dependencies"][extras.pop()]:
        itself = re.match(rf"^{project['name']}\[([^\]]*)\]$", spec)
        if itself:
            extras += itself.group(1).split(",")
        else:
            wanted.append(spec)
if "--requirements" in args:
    print("\n".join(dict.fromkeys(wanted)))
    sys.exit(0)
pins = {"urllib3": "<2"}
for spec in wanted:
    found = re.match(r"^([A-Za-z0-9_.\-\[\]]+?)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)", spec)
    if found:
        pins[found.group(1).lower()] = "==" + found.group(3)
for name, pin in sorted(pins.items()):
    if beside and name in FREE_BESIDE_FRAMEWORKS:
        print(f"# {name} not pinned: {FREE_BESIDE_FRAMEWORKS[name]}")
    else:
        print(f"{name}{pin}")
