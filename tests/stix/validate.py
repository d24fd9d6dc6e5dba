#!/usr/bin/env python3
"""Validates STIX 2.1 bundles (files named on the command line) against the OASIS STIX 2.1
JSON schemas (as the `forensicstore-stix-schemas` package ships them): the bundle, then every
object against the schema of its type, and every indicator pattern with the OASIS pattern
validator (`stix2-patterns`). Exit status 0 when every file is valid; each violation is
printed otherwise. Install the pinned packages with `pip install -r tests/stix/requirements.txt`."""

import json
import sys

import forensicstore_stix_schemas
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from stix2patterns.validator import validate as validate_pattern

SCHEMA_MARK = "/schemas/"


def load_schemas():
    """The package's schemas by path below `schemas/` (`sdos/indicator.json`), and a
    registry resolving their references."""
    by_path = {}
    for value in vars(forensicstore_stix_schemas).values():
        if isinstance(value, dict) and SCHEMA_MARK in str(value.get("$id", "")):
            by_path[value["$id"].split(SCHEMA_MARK, 1)[1]] = value
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
        for schema in by_path.values()
    )
    return by_path, registry


def schema_of(by_path, kind):
    for folder in ("sdos", "sros", "observables", "common"):
        schema = by_path.get(f"{folder}/{kind}.json")
        if schema is not None:
            return schema
    return None


def problems(bundle, by_path, registry):
    """Every violation in `bundle`, as text."""
    found = []

    def check(schema, instance, where):
        validator = Draft7Validator(schema, registry=registry)
        for error in validator.iter_errors(instance):
            path = "/".join(str(p) for p in error.absolute_path)
            found.append(f"{where}: {path}: {error.message}")

    check(by_path["common/bundle.json"], bundle, "bundle")
    for obj in bundle.get("objects", []):
        where = obj.get("id", "object without id")
        schema = schema_of(by_path, obj.get("type", ""))
        if schema is None:
            found.append(f"{where}: no STIX 2.1 schema for type {obj.get('type')!r}")
            continue
        check(schema, obj, where)
        if obj.get("type") == "indicator" and obj.get("pattern_type") == "stix":
            for error in validate_pattern(obj.get("pattern", ""), ret_errs=True, stix_version="2.1")[1]:
                found.append(f"{where}: pattern: {error}")
    return found


def main(paths):
    by_path, registry = load_schemas()
    if len(by_path) < 50:
        print(f"the schema package holds {len(by_path)} schemas, expected the full set", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        with open(path, encoding="utf-8") as source:
            bundle = json.load(source)
        for problem in problems(bundle, by_path, registry):
            print(f"{path}: {problem}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
