"""Runs tests/test_*.py with unittest and prints one 'name: PASS|FAIL|SKIP|ERROR' per test."""
import sys
import unittest

sys.path.insert(0, ".")


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.bad = 0

    def addSuccess(self, test):
        print(f"{test.id()}: PASS", flush=True)

    def addFailure(self, test, err):
        self.bad += 1
        print(f"{test.id()}: FAIL", flush=True)

    def addError(self, test, err):
        self.bad += 1
        print(f"{test.id()}: ERROR", flush=True)

    def addSkip(self, test, reason):
        print(f"{test.id()}: SKIP", flush=True)


suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
result = Result()
suite.run(result)
if result.errors and not result.testsRun:
    sys.exit(2)
sys.exit(1 if result.bad or result.errors else 0)
