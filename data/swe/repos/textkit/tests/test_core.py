import unittest

from textkit import core


class CoreTests(unittest.TestCase):
    def test_title_case(self):
        self.assertEqual(core.title_case("hello wORLD"), "Hello World")

    def test_clamp(self):
        self.assertEqual(core.clamp(5, 0, 3), 3)
        self.assertEqual(core.clamp(-1, 0, 3), 0)

    def test_flatten(self):
        self.assertEqual(core.flatten([1, [2, [3]], 4]), [1, 2, 3, 4])

    def test_slugify_simple(self):
        self.assertEqual(core.slugify("Hello"), "hello")

    def test_chunk_exact(self):
        self.assertEqual(core.chunk([1, 2, 3, 4], 2), [[1, 2], [3, 4]])

    def test_median_odd(self):
        self.assertEqual(core.median([3, 1, 2]), 2)


if __name__ == "__main__":
    unittest.main()
