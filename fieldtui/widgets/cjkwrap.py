"""Wrap mixed Chinese/English text to a width in terminal cells.

Chinese characters are two cells wide and may break anywhere, except that closing punctuation
(，。、）” …) never starts a line and opening punctuation (（“《 …) never ends one (the usual
line-breaking rules, 避头尾). Latin words break at spaces and are folded only when longer than a
line. Widths come from Rich, the same tables the screen is drawn with.
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

NO_START = set("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
NO_END = set("（《「『【〔〈“‘([{")


def _tokens(text: str) -> list[str]:
    """Break opportunities: each wide character alone, runs of narrow non-space characters as
    words, runs of spaces."""
    out: list[str] = []
    buf = ""
    for ch in text:
        if ch in "\n\r\t":
            ch = " "
        wide = get_character_cell_size(ch) == 2
        if wide or ch in NO_START or ch in NO_END:
            if buf:
                out.append(buf)
                buf = ""
            out.append(ch)
        elif ch == " ":
            if buf and not buf.endswith(" "):
                out.append(buf)
                buf = ""
            buf += ch
        else:
            if buf.endswith(" "):
                out.append(buf)
                buf = ""
            buf += ch
    if buf:
        out.append(buf)
    return out


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells (at least one line, possibly empty)."""
    width = max(width, 2)
    lines: list[list[str]] = [[]]
    used = 0
    for tok in _tokens(text):
        w = cell_len(tok)
        if tok.isspace():
            if used:  # spaces at a line start are dropped
                lines[-1].append(tok)
                used += w
            continue
        if used + w <= width:
            lines[-1].append(tok)
            used += w
            continue
        # Break before this token. Trailing spaces of the line go.
        line = lines[-1]
        while line and line[-1].isspace():
            used -= cell_len(line.pop())
        carry: list[str] = []
        if tok in NO_START and line:
            # The previous character goes down with the punctuation (and any punctuation
            # before it that may not start a line either, as in "责）。").
            carry.insert(0, line.pop())
            while line and carry[0] in NO_START:
                carry.insert(0, line.pop())
        while line and line[-1] in NO_END:
            carry.insert(0, line.pop())
        if not line and carry:  # nothing left: give up the rule rather than loop
            line.extend(carry)
            carry = []
        carry_w = sum(cell_len(t) for t in carry)
        if w > width - carry_w:  # a word longer than a line: fold it
            if line or carry:
                lines.append(carry)
            used = carry_w
            for ch in tok:
                cw = get_character_cell_size(ch)
                if used + cw > width:
                    lines.append([])
                    used = 0
                lines[-1].append(ch)
                used += cw
            continue
        lines.append([*carry, tok])
        used = carry_w + w
    result = ["".join(parts).rstrip() for parts in lines]
    return result if result else [""]
