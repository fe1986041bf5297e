#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/<target>/ from the project's test data.

* el (for el_parse and el_eval): every expression of tests/el/*.jsonl and tests/hostile/*.jsonl (one file each);
* pipeline: configuration + NUL + request (+ NUL + token inline hook answer), from
  tests/policy/*.json (bases with their patches), tests/mint/, tests/features/ and examples/data/;
* verify: tokens and JWKS documents are made by the target itself, so its seeds are a few shapes.

Run from anywhere; the seeds are committed, so rerun it after adding test data.
"""
import hashlib
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def write(target, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    (d / name).write_bytes(data)


def expressions():
    for f in sorted((ROOT / "tests" / "el").glob("*.jsonl")) + sorted(
        (ROOT / "tests" / "hostile").glob("*.jsonl")
    ):
        for line in f.read_text().splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            expr = case.get("expr")
            if isinstance(expr, str):
                yield expr


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()


def pointer(doc, path):
    """The parent container and last key of an RFC 6901 pointer."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
    for p in parts[:-1]:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    return doc, parts[-1]


def patched(doc, patch):
    """RFC 6902 add / replace / remove, enough for the test data's patches."""
    doc = json.loads(json.dumps(doc))
    for op in patch or []:
        parent, key = pointer(doc, op["path"])
        if isinstance(parent, list):
            i = len(parent) if key == "-" else int(key)
            if op["op"] == "add":
                parent.insert(i, op["value"])
            elif op["op"] == "replace":
                parent[i] = op["value"]
            elif op["op"] == "remove":
                del parent[i]
        elif op["op"] in ("add", "replace"):
            parent[key] = op["value"]
        elif op["op"] == "remove":
            parent.pop(key, None)
    return doc


def pipelines():
    policy = ROOT / "tests" / "policy"
    for f in sorted(policy.glob("*.json")):
        case = json.loads(f.read_text())
        if "request" not in case:
            continue
        if "config" in case:
            config = case["config"]
        elif "base" in case:
            base = json.loads((policy / "base" / f"{case['base']}.json").read_text())
            config = patched(base, case.get("patch"))
        else:
            continue
        yield compact(config) + b"\0" + compact(case["request"])
    mint_config = json.loads((ROOT / "tests" / "mint" / "config.json").read_text())
    user = json.loads((ROOT / "tests" / "mint" / "user.json").read_text())
    for f in sorted((ROOT / "tests" / "features").glob("*.json")):
        for case in json.loads(f.read_text()).get("cases", []):
            req = case.get("request")
            if not isinstance(req, dict):
                continue
            if req.get("user") == "$user":
                req = dict(req, user=user)
            seed = compact(patched(mint_config, case.get("configPatch"))) + b"\0" + compact(req)
            if "hookResponse" in case:
                answer = case["hookResponse"]
                seed += b"\0" + (answer.encode() if isinstance(answer, str) else compact(answer))
            yield seed
    for f in sorted((ROOT / "tests" / "mint" / "cases").glob("*.json")):
        case = json.loads(f.read_text())
        req = case.get("request")
        if isinstance(req, dict):
            yield compact(case.get("config", mint_config)) + b"\0" + compact(req)
    data = ROOT / "examples" / "data"
    config = json.loads((data / "config.json").read_text())
    for f in sorted(data.glob("request-*.json")):
        yield compact(config) + b"\0" + compact(json.loads(f.read_text()))


def main():
    for t in ["el", "pipeline"]:
        shutil.rmtree(SEEDS / t, ignore_errors=True)
    n = {"el": 0, "pipeline": 0}
    for e in expressions():
        write("el", e.encode())
        n["el"] += 1
    for p in pipelines():
        write("pipeline", p)
        n["pipeline"] += 1
    for k, v in n.items():
        print(f"{k}: {v} seeds")


if __name__ == "__main__":
    main()
