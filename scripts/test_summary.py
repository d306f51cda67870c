#!/usr/bin/env python3
"""Prints one line per meson test, the skipped tests, and last the line
'N passed, N failed' (CI parses it).

Reads meson's testlog.json files (one JSON object per line). A GoogleTest
binary counts as its test cases, read from its output; any other meson test
counts as one. Skipped are meson tests that exited 77 and GoogleTest cases
that called GTEST_SKIP, each named with its reason on the lines before the
last; a skipped test is never counted as passed. Each failed test is
followed by its own words on why (its last few lines that say FAIL, else
error, else its last lines): CI's excerpt of the output is its tail.

Exits 1 when any test failed, when no test passed, or, when the environment
variable CI is set (to anything but "", "0" or "false"; CI runs .ci/run with
CI=true), when any test was skipped: CI runs as root with every dependency
installed, so nothing there may skip. Outside CI a skip is reported but does
not fail the run.
"""
import json
import os
import re
import sys

RUN = re.compile(r"\[ RUN      \] (\S+)$")
SKIP_MARK = re.compile(r".*: Skipped$")  # "file:line: Skipped", then the message
SKIPPED = re.compile(r"\[  SKIPPED \] (\S+)(?: \(\d+ ms\))?$")
PASSED_TOTAL = re.compile(r"\[  PASSED  \] (\d+) tests?\.$")
FAILED_TOTAL = re.compile(r"\[  FAILED  \] (\d+) tests?, listed below:$")
# What a failure says of itself, most telling first: a test's own verdict,
# then errors (a test's diagnostics after a failure can be long).
FAILURE_WORDS = (re.compile(r"FAIL|Failure"), re.compile(r"Sanitizer|ERROR|[Ee]rror|timed out"))
WHY_LINES = 6
WHY_WIDTH = 240


def gtest_cases(stdout):
    """(passed, failed, {skipped case: reason}) from GoogleTest's output, or
    None when the output has no GoogleTest summary."""
    passed = failed = None
    skipped = {}
    reason = None  # the lines after a skip mark, until the case's SKIPPED line
    for line in stdout.splitlines():
        if RUN.match(line):
            reason = None
        elif SKIP_MARK.match(line):
            reason = []
        elif match := SKIPPED.match(line):
            skipped.setdefault(match[1], " ".join(filter(None, reason or [])))
            reason = None
        elif match := PASSED_TOTAL.match(line):
            passed = int(match[1])
        elif match := FAILED_TOTAL.match(line):
            failed = int(match[1])
        elif reason is not None:
            reason.append(line.strip())
    if passed is None:
        return None
    return passed, failed or 0, skipped


def skip_reason(stdout):
    """The message of a shell test's last 'SKIP: reason' line."""
    reasons = [line[len("SKIP:"):].strip()
               for line in stdout.splitlines() if line.startswith("SKIP:")]
    return reasons[-1] if reasons else ""


def failure_excerpt(stdout):
    """The lines of a failed test's output that say why, shortened."""
    lines = [line.rstrip() for line in stdout.splitlines() if line.strip()]
    for words in FAILURE_WORDS:
        telling = [line for line in lines if words.search(line)]
        if telling:
            lines = telling
            break
    return [line[:WHY_WIDTH] for line in lines[-WHY_LINES:]]


def main(paths, ci):
    passed = failed = 0
    skipped = []  # (what, reason)
    failures = []  # (failed test, excerpt of its output)
    for path in paths:
        with open(path) as log:
            for line in log:
                result = json.loads(line)
                name = f"{result['name']} ({path.split('/')[0]})"
                outcome = result["result"]
                stdout = result.get("stdout") or ""
                cases = gtest_cases(stdout)
                detail = ""
                if outcome == "SKIP":
                    skipped.append((name, skip_reason(stdout)))
                elif cases is None or outcome == "EXPECTEDFAIL":
                    if outcome in ("OK", "EXPECTEDFAIL"):
                        passed += 1
                    else:
                        failed += 1
                else:
                    case_passed, case_failed, case_skipped = cases
                    passed += case_passed
                    # A binary that fails with no failed case (a crash, a
                    # timeout, a leak report at exit) is one failure.
                    failed += case_failed if outcome == "OK" else max(case_failed, 1)
                    skipped += [(f"{name} {case}", why) for case, why in case_skipped.items()]
                    detail = f"  {case_passed + case_failed + len(case_skipped)} gtest cases"
                    if case_skipped:
                        detail += f", {len(case_skipped)} skipped"
                print(f"{outcome:8} {name}  {result.get('duration', 0):.1f}s{detail}")
                if outcome not in ("OK", "SKIP", "EXPECTEDFAIL"):
                    failures.append((name, failure_excerpt(stdout)))
    if skipped:
        print(f"{len(skipped)} skipped:")
        for what, why in skipped:
            print(f"  {what}: {why}" if why else f"  {what}")
    for name, excerpt in failures:
        print(f"why {name}:")
        for line in excerpt:
            print(f"  {line}")
    fail_on_skip = ci and skipped
    if fail_on_skip:
        print("CI is set: a skip fails the run, as CI runs as root with every dependency "
              "installed, so nothing there may skip")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 or fail_on_skip else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], ci=os.environ.get("CI", "").lower() not in ("", "0", "false")))
