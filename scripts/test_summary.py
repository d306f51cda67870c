#!/usr/bin/env python3
"""Prints one line per meson test and the closing 'N passed, N failed' line.

Reads meson's testlog.json files (one JSON object per line). Exits 1 when any
test failed or when no test ran at all.
"""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as log:
        for line in log:
            result = json.loads(line)
            name = f"{result['name']} ({path.split('/')[0]})"
            outcome = result["result"]
            print(f"{outcome:8} {name}  {result.get('duration', 0):.1f}s")
            if outcome in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif outcome == "SKIP":
                skipped += 1
            else:
                failed += 1
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
