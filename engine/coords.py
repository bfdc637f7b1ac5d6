"""Point and colour names: GTP vertices ("D4", "pass"), SGF coordinates ("dp", ""), colours."""

from __future__ import annotations

from golois import BLACK, PASS, SIZE, WHITE

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRST"  # GTP skips I

# GTP's fixed handicap placements on 19x19, in the spec's order.
FIXED_HANDICAP = {
    2: ["D4", "Q16"],
    3: ["D4", "Q16", "D16"],
    4: ["D4", "Q16", "D16", "Q4"],
    5: ["D4", "Q16", "D16", "Q4", "K10"],
    6: ["D4", "Q16", "D16", "Q4", "D10", "Q10"],
    7: ["D4", "Q16", "D16", "Q4", "D10", "Q10", "K10"],
    8: ["D4", "Q16", "D16", "Q4", "D10", "Q10", "K4", "K16"],
    9: ["D4", "Q16", "D16", "Q4", "D10", "Q10", "K4", "K16", "K10"],
}


def gtp_vertex(point: int) -> str:
    if point == PASS:
        return "pass"
    row, col = divmod(point, SIZE)
    return f"{GTP_COLUMNS[col]}{SIZE - row}"


def ascii_digits(word: str) -> bool:
    """True for a word of the digits 0-9 only (str.isdigit alone also takes other scripts' digits and
    superscripts, which GTP does not)."""
    return word.isascii() and word.isdigit()


def parse_gtp_vertex(text: str) -> int:
    """The point of a GTP vertex; ValueError if it is not one on a 19x19 board."""
    name = text.strip().upper()
    if name == "PASS":
        return PASS
    if len(name) < 2 or name[0] not in GTP_COLUMNS or not ascii_digits(name[1:]):
        raise ValueError(f"invalid vertex {text!r}")
    number = int(name[1:])
    if not 1 <= number <= SIZE:
        raise ValueError(f"vertex {text!r} is off the board")
    return (SIZE - number) * SIZE + GTP_COLUMNS.index(name[0])


def parse_gtp_colour(text: str) -> int:
    name = text.strip().lower()
    if name in ("b", "black"):
        return BLACK
    if name in ("w", "white"):
        return WHITE
    raise ValueError(f"invalid colour {text!r}")


def opponent(colour: int) -> int:
    return WHITE if colour == BLACK else BLACK


def colour_letter(colour: int) -> str:
    return "B" if colour == BLACK else "W"


def sgf_point(point: int) -> str:
    if point == PASS:
        return ""
    row, col = divmod(point, SIZE)
    return chr(ord("a") + col) + chr(ord("a") + row)
