"""Writes one JSON schema per CustomResourceDefinition version, named as kubeconform looks them
up (`{kind}-{first label of the group}-{version}.json`), from the CRD YAML files given.

    python3 scripts/crd-schemas.py OUT_DIR CRD.yaml...

The same conversion as kubeconform's own scripts/openapi2jsonschema.py: the CRD's
`openAPIV3Schema`, with `additionalProperties: false` on every object below the root that lists
its properties (what `kubeconform -strict` needs to reject a misspelt field) unless it keeps
unknown fields, and `int-or-string` spelt as JSON schema types. Standard library and PyYAML only.
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strict(node: Any, root: bool = True) -> Any:
    """Deny unknown properties on nested objects, as the Kubernetes API server prunes them."""
    if isinstance(node, dict):
        if node.get("x-kubernetes-int-or-string"):
            node = {k: v for k, v in node.items() if k != "type"}
            node["type"] = ["integer", "string"]
        closed = "properties" in node and "additionalProperties" not in node
        if closed and not root and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        return {key: strict(value, root=False) for key, value in node.items()}
    if isinstance(node, list):
        return [strict(item, root=False) for item in node]
    return node


def write(crd: dict, out: Path) -> list[str]:
    spec = crd["spec"]
    group, kind = spec["group"].split(".")[0], spec["names"]["kind"].lower()
    written = []
    for version in spec["versions"]:
        schema = strict(version["schema"]["openAPIV3Schema"])
        name = f"{kind}-{group}-{version['name']}.json"
        (out / name).write_text(json.dumps(schema, indent=1) + "\n")
        written.append(name)
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for path in argv[1:]:
        for doc in yaml.safe_load_all(Path(path).read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                print(" ".join(write(doc, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
