"""Validates JSON instances against vendored JSON schemas with the Python `jsonschema` package
(the reference validator; installed in CI with moto[server]). Used by the Rust tests
(tests/it/schemas.rs); not part of the program.

Usage: python3 validate.py SCHEMA_DIR < items.ndjson
Each input line is {"schema": "<file in SCHEMA_DIR>", "instance": <any JSON>}. Every schema file
of SCHEMA_DIR is registered under its `$id`, so references between them resolve offline. Prints
one JSON line per item: the list of problems (empty when valid). Exit 0 when every item is valid,
1 when one is not, 3 when the package is missing.
"""
import json
import pathlib
import sys

try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError as e:
    print(f"python jsonschema is missing: {e}", file=sys.stderr)
    sys.exit(3)

directory = pathlib.Path(sys.argv[1])
schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in directory.glob("*.json")}
registry = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in schemas.values() if "$id" in s
)
invalid = False
for line in sys.stdin:
    if not line.strip():
        continue
    item = json.loads(line)
    schema = schemas[item["schema"]]
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in validator.iter_errors(item["instance"])
    ]
    invalid = invalid or bool(problems)
    print(json.dumps(problems))
sys.exit(1 if invalid else 0)
