#!/usr/bin/env python3
"""Checks crd/*.yaml the way kube-apiserver does when a CRD is created, which
neither kubectl nor the project's API server does:

  - the schema is structural: every node outside anyOf/allOf/oneOf/not has a
    type (unless x-kubernetes-int-or-string or -preserve-unknown-fields), and
    inside them there are only value validations (no type, description,
    default, nullable, additionalProperties, x-kubernetes-*) on fields that
    are also declared outside;
  - every format is one kube-apiserver validates (a typo would be ignored), and
    value validations sit on the type they apply to (maxLength on a string,
    minimum on a number, enum values of the node's type);
  - printer columns have a type kube accepts, unique names and a JSONPath
    starting with '.'.

Usage: check_crd.py CRD.yaml...
"""
import sys

import yaml

# apiextensions-apiserver's supported formats (by the type they apply to).
FORMATS = {
    "string": {"bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid",
               "uuid3", "uuid4", "uuid5", "isbn", "isbn10", "isbn13", "creditcard", "ssn",
               "hexcolor", "rgbcolor", "byte", "password", "date", "duration", "date-time",
               "datetime"},
    "integer": {"int32", "int64"},
    "number": {"float", "double"},
}
JUNCTORS = ("anyOf", "allOf", "oneOf", "not")
NOT_IN_JUNCTORS = ("type", "description", "default", "nullable", "additionalProperties")
STRING_ONLY = ("maxLength", "minLength", "pattern")
NUMBER_ONLY = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
COLUMN_TYPES = {"integer", "number", "string", "boolean", "date"}
PYTHON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool}

errors = []


def fail(path, msg):
    errors.append("%s: %s" % (path, msg))


def branches(node):
    for j in JUNCTORS:
        if j not in node:
            continue
        for i, branch in enumerate(node[j] if j != "not" else [node[j]]):
            yield ".%s[%d]" % (j, i), branch


def check_values(node, path, typ):
    """Value validations of `node` against the type `typ` they apply to."""
    if typ is None:
        return
    fmt = node.get("format")
    if fmt is not None and fmt not in FORMATS.get(typ, set()):
        fail(path, "format %r is not one kube-apiserver knows for a %s" % (fmt, typ))
    for key in STRING_ONLY:
        if key in node and typ != "string":
            fail(path, "%s on a %s does nothing" % (key, typ))
    for key in NUMBER_ONLY:
        if key in node and typ not in ("integer", "number"):
            fail(path, "%s on a %s does nothing" % (key, typ))
    for value in node.get("enum", []):
        want = PYTHON_TYPES.get(typ)
        if want and (not isinstance(value, want) or (typ != "boolean" and isinstance(value, bool))):
            fail(path, "enum value %r is not a %s" % (value, typ))


def check_junctor_branch(branch, path, outer, typ):
    for key in branch:
        if key in NOT_IN_JUNCTORS or key.startswith("x-kubernetes-"):
            fail(path, "%s is not allowed inside %s" % (key, "/".join(JUNCTORS)))
    for name in branch.get("properties", {}):
        if name not in outer.get("properties", {}):
            fail(path, "property %s is not declared outside the junctor" % name)
    if "items" in branch and "items" not in outer:
        fail(path, "items are not declared outside the junctor")
    check_values(branch, path, typ)
    for sub, nested in branches(branch):
        check_junctor_branch(nested, path + sub, outer, typ)


def check_schema(node, path):
    typ = node.get("type")
    special = node.get("x-kubernetes-int-or-string") or node.get(
        "x-kubernetes-preserve-unknown-fields")
    if not typ and not special:
        fail(path, "no type (a structural schema needs one)")
    check_values(node, path, typ)
    for sub, branch in branches(node):
        if not node.get("x-kubernetes-int-or-string"):
            check_junctor_branch(branch, path + sub, node, typ)
    for name, prop in node.get("properties", {}).items():
        check_schema(prop, "%s.%s" % (path, name))
    if isinstance(node.get("additionalProperties"), dict):
        check_schema(node["additionalProperties"], path + ".additionalProperties")
    if "items" in node:
        check_schema(node["items"], path + ".items")


def check_columns(columns, path):
    names = set()
    for i, col in enumerate(columns):
        where = "%s[%d]" % (path, i)
        if col.get("type") not in COLUMN_TYPES:
            fail(where, "type %r is not one of %s" % (col.get("type"), sorted(COLUMN_TYPES)))
        if not str(col.get("jsonPath", "")).startswith("."):
            fail(where, "jsonPath must start with '.'")
        name = str(col.get("name", "")).lower()
        if not name or name in names:
            fail(where, "missing or duplicate name %r" % col.get("name"))
        names.add(name)


def main():
    for path in sys.argv[1:]:
        crd = yaml.safe_load(open(path))
        for v in crd["spec"]["versions"]:
            where = "%s: %s" % (path, v["name"])
            schema = v.get("schema", {}).get("openAPIV3Schema")
            if schema is None:
                fail(where, "no openAPIV3Schema")
                continue
            if schema.get("type") != "object":
                fail(where, "the root must be of type object")
            check_schema(schema, where + " openAPIV3Schema")
            check_columns(v.get("additionalPrinterColumns", []), where + " additionalPrinterColumns")
    if errors:
        print("\n".join("FAIL: " + e for e in errors))
        sys.exit(1)
    print("CRDs structural, formats known, printer columns valid: %s" % ", ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
