#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the host-side harness tests; append one result line per test case
("ok|not ok|skip host: <test>") to the results file given as argument."""

import sys
import unittest


def name(test):
    """test_verdict.Parser.test_x, without the package path."""
    return test.id().rsplit(".", 3)[-3:] and ".".join(test.id().rsplit(".", 3)[-3:])


class Recorder(unittest.TextTestResult):
    lines = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.lines.append(f"ok host: {name(test)}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.lines.append(f"not ok host: {name(test)}")

    def addError(self, test, err):
        super().addError(test, err)
        self.lines.append(f"not ok host: {name(test)}")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.lines.append(f"skip host: {name(test)}")


def main():
    suite = unittest.defaultTestLoader.discover("tests/harness", pattern="test_*.py", top_level_dir=".")
    runner = unittest.TextTestRunner(resultclass=Recorder, verbosity=1)
    result = runner.run(suite)
    if suite.countTestCases() == 0:
        Recorder.lines.append("not ok host: no harness test found")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "a", encoding="utf-8") as f:
            f.writelines(l + "\n" for l in Recorder.lines)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
