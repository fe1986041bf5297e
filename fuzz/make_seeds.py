#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/<target>/ from the project's test data.

* el (for el_parse and el_eval): every expression of tests/el/*.jsonl and tests/hostile/*.jsonl (one file each);
* pipeline: configuration + NUL + request, from tests/policy/*.json, tests/mint/ and examples/data/;
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


def pipelines():
    for f in sorted((ROOT / "tests" / "policy").glob("*.json")):
        case = json.loads(f.read_text())
        if "config" in case and "request" in case:
            yield compact(case["config"]) + b"\0" + compact(case["request"])
    mint_config = json.loads((ROOT / "tests" / "mint" / "config.json").read_text())
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
