#!/usr/bin/env python3
"""scripts/test_summary.py over made-up testlog.json files, run as CI runs it."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "test_summary.py"

# GoogleTest's output for a binary with two passing cases and one GTEST_SKIP.
GTEST_WITH_SKIP = """\
[==========] Running 3 tests from 1 test suite.
[ RUN      ] Suite.First
[       OK ] Suite.First (1 ms)
[ RUN      ] Suite.NeedsThing
../tests/x_test.cc:12: Skipped
thing not installed

[  SKIPPED ] Suite.NeedsThing (0 ms)
[ RUN      ] Suite.Third
[       OK ] Suite.Third (2 ms)
[==========] 3 tests from 1 test suite ran. (3 ms total)
[  PASSED  ] 2 tests.
[  SKIPPED ] 1 test, listed below:
[  SKIPPED ] Suite.NeedsThing
"""

GTEST_ALL_PASS = """\
[==========] Running 2 tests from 1 test suite.
[ RUN      ] Suite.A
[       OK ] Suite.A (0 ms)
[ RUN      ] Suite.B
[       OK ] Suite.B (0 ms)
[==========] 2 tests from 1 test suite ran. (0 ms total)
[  PASSED  ] 2 tests.
"""

GTEST_TWO_FAIL = """\
[==========] 3 tests from 1 test suite ran. (0 ms total)
[  PASSED  ] 1 test.
[  FAILED  ] 2 tests, listed below:
[  FAILED  ] Suite.A
[  FAILED  ] Suite.B

 2 FAILED TESTS
"""


def entry(name, result, stdout=""):
    return {"name": name, "result": result, "stdout": stdout, "duration": 0.5}


class TestSummaryTest(unittest.TestCase):
    def run_summary(self, entries, ci=None):
        with tempfile.TemporaryDirectory() as tmp:
            log = "build/meson-logs/testlog.json"  # as scripts/test.sh passes it
            (pathlib.Path(tmp) / log).parent.mkdir(parents=True)
            (pathlib.Path(tmp) / log).write_text("".join(json.dumps(e) + "\n" for e in entries))
            env = {k: v for k, v in os.environ.items() if k != "CI"}
            if ci is not None:
                env["CI"] = ci
            done = subprocess.run([sys.executable, SCRIPT, log], cwd=tmp, env=env,
                                  capture_output=True, text=True)
        return done.returncode, done.stdout.splitlines()

    def test_skipped_gtest_cases_are_named_and_not_passed(self):
        code, lines = self.run_summary([entry("unit-x", "OK", GTEST_WITH_SKIP)])
        self.assertEqual(lines[-1], "2 passed, 0 failed")
        self.assertIn("1 skipped:", lines)
        self.assertIn("  unit-x (build) Suite.NeedsThing: thing not installed", lines)
        self.assertIn("3 gtest cases, 1 skipped", lines[0])
        self.assertEqual(code, 0)

    def test_meson_skip_is_named_with_its_reason_and_not_passed(self):
        code, lines = self.run_summary([
            entry("e2e-x", "SKIP", "SKIP: wg not installed\n"),
            entry("plain", "OK"),
        ])
        self.assertEqual(lines[-1], "1 passed, 0 failed")
        self.assertIn("  e2e-x (build): wg not installed", lines)
        self.assertEqual(code, 0)

    def test_ci_fails_on_any_skip_and_says_why(self):
        for skipping in (entry("unit-x", "OK", GTEST_WITH_SKIP), entry("e2e-x", "SKIP")):
            code, lines = self.run_summary([skipping, entry("plain", "OK")], ci="true")
            self.assertEqual(code, 1, lines)
            self.assertTrue(lines[-2].startswith("CI is set: a skip fails the run"), lines)
            self.assertRegex(lines[-1], r"^\d+ passed, 0 failed$")

    def test_ci_passes_without_skips(self):
        code, lines = self.run_summary([entry("unit-y", "OK", GTEST_ALL_PASS)], ci="true")
        self.assertEqual(lines, ["OK       unit-y (build)  0.5s  2 gtest cases",
                                 "2 passed, 0 failed"])
        self.assertEqual(code, 0)

    def test_ci_false_is_not_ci(self):
        code, _ = self.run_summary([entry("e2e-x", "SKIP")] + [entry("plain", "OK")], ci="false")
        self.assertEqual(code, 0)

    def test_failures_count_failed_cases_and_crashes(self):
        code, lines = self.run_summary([
            entry("unit-fail", "FAIL", GTEST_TWO_FAIL),
            entry("unit-crash", "FAIL", "[ RUN      ] Suite.A\nSegmentation fault\n"),
            entry("unit-leak", "FAIL", GTEST_ALL_PASS + "LeakSanitizer: detected memory leaks\n"),
            entry("shell", "TIMEOUT"),
        ])
        self.assertEqual(lines[-1], "3 passed, 5 failed")
        self.assertEqual(code, 1)

    def test_failed_tests_say_why_before_the_totals(self):
        noise = "".join(f"diagnostics line {i}\n" for i in range(40))
        code, lines = self.run_summary([
            entry("e2e-x", "FAIL", "12:00:01 ok    step one\n12:00:02 FAIL: pod -> pod lost\n" + noise),
            entry("unit-crash", "FAIL", "[ RUN      ] Suite.A\nsomething\n"),
            entry("plain", "OK", "FAIL is only a word here\n"),
        ])
        why = lines[lines.index("why e2e-x (build):"):-1]
        self.assertEqual(why, ["why e2e-x (build):", "  12:00:02 FAIL: pod -> pod lost",
                               "why unit-crash (build):", "  [ RUN      ] Suite.A", "  something"])
        self.assertEqual(lines[-1], "1 passed, 2 failed")
        self.assertEqual(code, 1)

    def test_no_test_passed_fails(self):
        code, lines = self.run_summary([entry("e2e-x", "SKIP")])
        self.assertEqual(lines[-1], "0 passed, 0 failed")
        self.assertEqual(code, 1)


if __name__ == "__main__":
    unittest.main()
