"""Print pip constraints pinning every ``name>=X`` of pyproject.toml to ``name==X``.

``.ci/run`` installs the package with them (and urllib3 below 2, which requests allows), so
each declared floor is a version that is really tested. Usage: ``python .ci/floors.py
EXTRA... > constraints.txt``; the core dependencies are always included.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path(__file__).resolve().parents[1].joinpath("pyproject.toml")
                        .read_text())["project"]
wanted = list(project["dependencies"])
for extra in sys.argv[1:]:
    wanted += project["optional-dependencies"][extra]
pins = {}
for spec in wanted:
    found = re.match(r"^([A-Za-z0-9_.\-\[\]]+?)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)", spec)
    if found:
        pins[found.group(1).lower()] = found.group(3)
for name, version in sorted(pins.items()):
    print(f"{name}=={version}")
print("urllib3<2")
