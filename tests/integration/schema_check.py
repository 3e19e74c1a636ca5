#!/usr/bin/python3
"""`roachrun schema` checked by a real validator: Debian's python3-jsonschema (Draft 2020-12).

Usage: schema_check.py ROACHRUN SCENARIOS_DIR

Every *.yaml under SCENARIOS_DIR (scenarios and the files they include) must validate; copies
with a misspelt parameter, a choice that is not one, or a steps file with a scenario's key must
not; a plugin directory with a broken library makes `roachrun schema` fail (exit 2) naming it.
The YAML is read as the YAML language server reads it (keys as strings), through JSON.
"""
import copy
import json
import os
import pathlib
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:  # not a skip: the test would prove nothing
    sys.exit(f"schema_check: {e}: install python3-jsonschema and python3-yaml (scripts/bootstrap.sh)")

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run_schema(roachrun, *args, env):
    return subprocess.run([roachrun, "-q", *args, "schema"], capture_output=True, text=True, timeout=120, env=env)


def as_editor_sees(data):
    return json.loads(json.dumps(data, default=str))


def messages(errors):
    """Every message of `errors` and of their sub-errors (anyOf/oneOf branches)."""
    out = []
    for e in errors:
        out.append(e.message)
        out.extend(messages(e.context))
    return out


def steps_of(items):
    """Every step mapping in a list of steps, also those in parallel branches."""
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("parallel"), dict):
            for branch in item["parallel"].values():
                yield from steps_of(branch)
        elif isinstance(item, dict):
            yield item


def main():
    roachrun, scenarios = sys.argv[1], pathlib.Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CACHE_HOME=tmp)  # a plugin cache of its own
        r = run_schema(roachrun, env=env)
        check(r.returncode == 0, f"roachrun schema exits 0 (got {r.returncode}; stderr: {r.stderr.strip()})")
        if r.returncode != 0:
            return
        schema = json.loads(r.stdout)
        jsonschema.Draft202012Validator.check_schema(schema)
        check(True, "the schema is a valid Draft 2020-12 schema")
        validator = jsonschema.Draft202012Validator(schema)

        docs = {}
        for path in sorted(scenarios.rglob("*.yaml")):
            docs[path] = as_editor_sees(yaml.safe_load(path.read_text()))
            errors = sorted(validator.iter_errors(docs[path]), key=lambda e: list(e.path))
            detail = "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:3])
            check(not errors, f"{path.relative_to(scenarios.parent)} validates" + (f": {detail}" if detail else ""))
        check(len(docs) >= 3, f"found the bundled scenarios ({len(docs)} files)")

        # A misspelt parameter: amount -> amout in the first step that gives `amount`.
        misspelt = None
        for path, doc in docs.items():
            doc = copy.deepcopy(doc)
            for step in steps_of(doc.get("steps")):
                params = [v for k, v in step.items() if "." in k and isinstance(v, dict) and "amount" in v]
                if params:
                    params[0]["amout"] = params[0].pop("amount")
                    misspelt = (path, doc)
                    break
            if misspelt:
                break
        check(misspelt is not None, "a bundled scenario has a step with an amount: parameter to misspell")
        if misspelt:
            errors = list(validator.iter_errors(misspelt[1]))
            check(any("'amout' was unexpected" in m for m in messages(errors)),
                  f"a copy of {misspelt[0].name} with 'amout' is rejected, naming it")

        unknown = dict(copy.deepcopy(next(iter(docs.values()))), stesp=[])
        check(any("'stesp' was unexpected" in m for m in messages(validator.iter_errors(unknown))),
              "an unknown top-level key is rejected, naming it")

        # A choice that is not one (bank.workload's protocol, from the bank plugin's step details).
        base = copy.deepcopy(next(iter(docs.values())))
        base["steps"] = [{"bank.workload": {"protocol": "pipelined", "duration": "1s"}}]
        errors = list(validator.iter_errors(base))
        check(any("'pipelined' is not one of ['tutorial', 'single', 'pipeline']" in m for m in messages(errors)),
              "a bank.workload protocol outside its choices is rejected, listing them")
        base["steps"] = [{"bank.workload": {"protocol": "${protocol}", "clients": "${clients}", "ledger": "${ledger}"}}]
        check(validator.is_valid(base), "a ${...} reference is accepted where a choice, a number or a boolean goes")
        base["steps"] = [{"bank.workload": {"clients": "many"}}]
        check(not validator.is_valid(base), "a word where a number goes is rejected")
        base["steps"] = [{"bank.transfer": {"from": 1, "to": 2, "amount": 5}, "sql.exec": "SELECT 1"}]
        check(not validator.is_valid(base), "a step with two step types is rejected")
        base["steps"] = [{"bank.transfer": {"from": 1, "to": 2, "amount": 5}, "retry": {"max_retires": 3}}]
        check(not validator.is_valid(base), "a misspelt retry key is rejected")

        # Files of steps for include:, and the other list items of the spec.
        steps_file = {"description": "shared", "vars": {"amount": 100},
                      "steps": [{"bank.transfer": {"from": 1, "to": 2, "amount": "${amount}"}, "capture": "moved"},
                                {"include": "other.yaml", "vars": {"amount": "${amount}"}},
                                {"name": "both", "parallel": {"a": [{"sql.exec": "SELECT 1"}],
                                                               "b": [{"sql.query": "SELECT 1", "capture": {"n": "value"}}]}}]}
        check(validator.is_valid(steps_file), "a file of steps with a capture, an include and a parallel block validates")
        check(not validator.is_valid(dict(steps_file, target="local")), "a file of steps with target: is rejected")
        nested = {"steps": [{"parallel": {"a": [{"parallel": {"b": [{"sql.exec": "SELECT 1"}]}}]}}]}
        check(not validator.is_valid(nested), "a parallel block inside a branch is rejected")

        # A plugin directory with a broken library: no schema, exit 2, the library named.
        broken = pathlib.Path(tmp) / "plugins"
        broken.mkdir()
        (broken / "libbroken.so").write_text("not a library\n")
        r = run_schema(roachrun, "--plugin-dir", str(broken), env=env)
        check(r.returncode == 2, f"roachrun schema with a broken plugin exits 2 (got {r.returncode})")
        check(r.stdout == "", "and prints no schema")
        check(f"not loaded: {broken / 'libbroken.so'}: not a loadable shared library" in r.stderr,
              f"and names the library and why: {r.stderr.strip()}")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
