#!/usr/bin/python3
"""Validate a JSON document against a schema of the reference openapi.yaml.
usage: openapi_check.py OPENAPI SCHEMA_NAME FILE [--array]"""
import json
import sys

import jsonschema
import yaml


def main():
    spec_path, name, path = sys.argv[1:4]
    as_array = "--array" in sys.argv[4:]
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    schemas = spec["components"]["schemas"]
    # Resolve "#/components/schemas/X" refs within the spec document itself.
    schema = {"$ref": "#/components/schemas/" + name}
    if as_array:
        schema = {"type": "array", "items": schema}
    schema["components"] = {"schemas": schemas}
    with open(path) as f:
        doc = json.load(f)
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        print(f"{path}: not a valid {name}: {e.message} at {list(e.absolute_path)}")
        sys.exit(1)


main()
