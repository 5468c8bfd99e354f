#!/usr/bin/env python3
"""Validate vnetkit --json output against schemas/.

usage: json_check.py FILE...   (a file holds one document, or one per line)

Each document names its schema ("vnetkit-<doc>/<n>" -> schemas/vnetkit-<doc>-<n>.json);
an "error" member is checked against schemas/error.json, and a document that is
only {"schema", "error"} (a failure before the report) against that alone.
Prints "valid <schema> <file>" per document; exits 1 on the first invalid one.
The parser rejects duplicate keys and NaN/Infinity, which json.loads accepts."""
import json
import os
import sys

import jsonschema

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sdir = os.path.join(top, "schemas")


def load_schema(name):
    with open(os.path.join(sdir, name)) as f:
        s = json.load(f)
    # "$id" names the document ("vnetkit-ring-model/1"), a relative URI:
    # older jsonschema releases (Debian 12 has 4.10) join it with itself
    # when they follow "#/$defs/..." and cannot resolve the result. An
    # absolute base of the same name resolves the same way in every release.
    if "$id" in s:
        s = dict(s, **{"$id": "https://vnetkit.invalid/schemas/" + s["$id"]})
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def strict_pairs(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("duplicate keys: %s" % ", ".join(sorted(dup)))
    return dict(pairs)


def bad_constant(c):
    raise ValueError("not JSON: %s" % c)


def documents(path):
    with open(path) as f:
        text = f.read()
    try:
        doc = json.loads(text, object_pairs_hook=strict_pairs, parse_constant=bad_constant)
    except json.JSONDecodeError:
        doc = None
    except ValueError as e:
        sys.exit("invalid JSON in %s: %s" % (path, e))
    if doc is not None:
        yield doc
        return
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line, object_pairs_hook=strict_pairs,
                                 parse_constant=bad_constant)
            except ValueError as e:
                sys.exit("invalid JSON in %s line %d: %s" % (path, n, e))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    err = load_schema("error.json")
    count = 0
    for path in sys.argv[1:]:
        for doc in documents(path):
            if not isinstance(doc, dict) or "schema" not in doc:
                sys.exit("%s: no \"schema\" member" % path)
            name, _, ver = doc["schema"].partition("/")
            if "error" in doc:
                errors = list(err.iter_errors(doc["error"]))
                if errors:
                    sys.exit("%s: error member: %s" % (path, errors[0].message))
            if set(doc) != {"schema", "error"}:
                fn = "%s-%s.json" % (name, ver)
                if not os.path.exists(os.path.join(sdir, fn)):
                    sys.exit("%s: no schema file schemas/%s" % (path, fn))
                errors = sorted(load_schema(fn).iter_errors(doc), key=lambda e: list(e.path))
                if errors:
                    e = errors[0]
                    sys.exit("%s: %s at /%s: %s" % (path, doc["schema"],
                             "/".join(str(p) for p in e.path), e.message))
            count += 1
            print("valid %s %s" % (doc["schema"], path))
    return 0


if __name__ == "__main__":
    main()
