#!/usr/bin/python3
"""Step details (SDK 3.4) through the command line, with the `detailed` fixture plugin.

Usage: step_details_cli.py ROACHRUN FIXTURE_PLUGIN_DIR

A choice outside a parameter's choices and a local-target step on a URL target are refused
before anything runs (exit 2, file:line:col, the password masked); --skip leaves such a step out;
`roachrun plugins` shows the choices. Nothing here reaches a database: the URL target is only
validated (validate, run --dry-run).
"""
import os
import pathlib
import subprocess
import sys
import tempfile

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def main():
    roachrun, plugins = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CACHE_HOME=tmp)

        def run(*args):
            return subprocess.run([roachrun, "--plugin-dir", plugins, *args], capture_output=True, text=True,
                                  timeout=120, env=env)

        scenario = pathlib.Path(tmp) / "d.yaml"
        scenario.write_text("scenario: details\n"
                            "steps:\n"
                            "  - detailed.paint: {color: blue}\n"
                            "  - name: touch the server\n"
                            "    detailed.local:\n")
        r = run("validate", str(scenario))
        check(r.returncode == 0, f"valid on the local target (exit {r.returncode}: {r.stderr.strip()})")

        url = "postgresql://me:s3cret@db.invalid:26257/bank"
        for args in (["validate", "--target", url], ["run", "--dry-run", "--target", url]):
            r = run(*args, str(scenario))
            check(r.returncode == 2, f"{' '.join(args[:2])} on a URL target: exit 2 (got {r.returncode})")
            check(f"{scenario}:5:5: step 2 (detailed.local): needs roachrun's local target (target: local); this "
                  f"scenario's target is postgresql://me:***@db.invalid:26257/bank: run it with --target local, or "
                  f"leave the step out with --skip detailed" in r.stderr, f"  saying why: {r.stderr.strip()}")
            check("s3cret" not in r.stderr + r.stdout, "  the password masked")
        r = run("run", "--dry-run", "--target", url, "--skip", "detailed.local", str(scenario))
        check(r.returncode == 0, f"--skip leaves the step out (exit {r.returncode}: {r.stderr.strip()})")
        check("2. touch the server: skipped" in r.stdout, f"  and the plan shows it skipped: {r.stdout.strip()}")

        scenario.write_text("scenario: details\nvars: {hue: purple}\nsteps:\n  - detailed.paint: {finish: \"${hue}\"}\n")
        r = run("validate", str(scenario))
        check(r.returncode == 2 and f"{scenario}:4:30: step 1 (detailed.paint): parameter 'finish' must be matt or gloss, "
              "got 'purple'" in r.stderr, f"a choice that is not one: exit 2 at its value ({r.returncode}: {r.stderr.strip()})")

        r = run("plugins")
        check("color (string: red|green|blue, default \"red\")" in r.stdout, "roachrun plugins shows the choices")
        check("detailed.local - Touches the local server (needs the local target)" in r.stdout,
              "and the steps that need the local target")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
