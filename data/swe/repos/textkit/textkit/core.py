"""Small text and list helpers."""
import re

__all__ = ["slugify", "chunk", "parse_duration", "median", "title_case", "clamp", "flatten"]


def slugify(text):
    """Lower-case words joined by single dashes: 'Hello,  World!' -> 'hello-world'."""
    text = re.sub(r"[^a-z0-9]", "-", text.lower())
    return text.strip("-")


def chunk(items, size):
    """Splits items into lists of `size` (the last one may be shorter)."""
    if size <= 0:
        raise ValueError("size must be positive")
    return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]


def parse_duration(text):
    """'1h30m15s' -> 5415 seconds. Units: h, m, s."""
    total = 0
    for number, unit in re.findall(r"(\d+)([hms])", text):
        if unit == "h":
            total += int(number) * 3600
        elif unit == "m":
            total += int(number) * 60
    return total


def median(values):
    """The median of a non-empty list of numbers."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def title_case(text):
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split())


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def flatten(nested):
    out = []
    for item in nested:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out
