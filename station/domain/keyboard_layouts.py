"""Keyboard maps for the keyboard test: each key, as drawn, and what the terminal sends
when it is pressed (a character, or a key name such as 'enter', 'f5', 'left').

A terminal never reports a modifier pressed alone: Shift is seen through a shifted
character ('A', '1' on AZERTY), Ctrl and Alt through a combination ('ctrl+c',
'alt+x'). AltGr, Fn and the Windows key send nothing a terminal can see, so they are
listed as not checkable here and asked about (docs/functional-tests.md). The counter
of repeats flags a key that keeps coming without the trainee pressing it (stuck).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STUCK_REPEATS = 25  # the same key this many times in a row, nothing else: it repeats by itself


@dataclass(frozen=True)
class Key:
    label: str
    sends: frozenset[str]
    width: int = 1
    shifted: str | None = None  # what it sends with Shift (proves Shift works)


def _row(spec: str) -> tuple[Key, ...]:
    """'label=tok tok|label=...' ; a label ending in '*N' is N cells wide."""
    keys = []
    for item in spec.split("|"):
        # "== +": the "=" key itself (label "=", sends "=" and "+"), not an empty label.
        label, _, tokens = ("=", "", item[1:]) if item.startswith("==") else item.partition("=")
        wide = re.fullmatch(r"(.+)\*(\d)", label)
        label, width = (wide.group(1), int(wide.group(2))) if wide else (label, 1)
        sent = tokens.split()
        shifted = sent[1] if len(sent) > 1 else None
        keys.append(Key(label, frozenset(sent), width, shifted))
    return tuple(keys)


_FUNCTION_ROW = "Éch=escape|" + "|".join(f"F{n}=f{n}" for n in range(1, 13)) + "|Sup=delete"
_BOTTOM = (
    "Ctrl*2=ctrl|Alt=alt|Espace*7=space|←=left|↑=up|↓=down|→=right|"
    "Déb=home|Fin=end|Pg↑=pageup|Pg↓=pagedown"
)
LAYOUTS: dict[str, tuple[tuple[Key, ...], ...]] = {
    "azerty-fr": (
        _row(_FUNCTION_ROW),
        _row(
            "²=²|&=& 1|é=é 2 ~|\"=\" 3 #|'=' 4 {|(=( 5 [|-=- 6|è=è 7 `|_=_ 8 \\|"
            "ç=ç 9 ^|à=à 0 @|)=) ° ]|== + }|⌫*2=backspace"
        ),
        _row(
            "Tab*2=tab|a=a A|z=z Z|e=e E €|r=r R|t=t T|y=y Y|u=u U|i=i I|o=o O|p=p P|"
            "^=^ ¨ â ê î ô û ä ë ï ö ü|$=$ £ ¤|Entr*2=enter"
        ),
        _row("q=q Q|s=s S|d=d D|f=f F|g=g G|h=h H|j=j J|k=k K|l=l L|m=m M|ù=ù %|*=* µ"),
        _row("Maj*2=shift|<=< >|w=w W|x=x X|c=c C|v=v V|b=b B|n=n N|,=, ?|;=; .|:=: /|!=! §"),
        _row(_BOTTOM),
    ),
    "qwerty-us": (
        _row(_FUNCTION_ROW.replace("Éch", "Esc").replace("Sup=", "Del=")),
        _row(
            "`=` ~|1=1 !|2=2 @|3=3 #|4=4 $|5=5 %|6=6 ^|7=7 &|8=8 *|9=9 (|0=0 )|"
            "-=- _|== +|⌫*2=backspace"
        ),
        _row(
            "Tab*2=tab|q=q Q|w=w W|e=e E|r=r R|t=t T|y=y Y|u=u U|i=i I|o=o O|p=p P|"
            "[=[ {|]=] }|\\=\\"
        ),
        _row("a=a A|s=s S|d=d D|f=f F|g=g G|h=h H|j=j J|k=k K|l=l L|;=; :|'=' \"|Entr*2=enter"),
        _row("Shift*2=shift|z=z Z|x=x X|c=c C|v=v V|b=b B|n=n N|m=m M|,=, <|.=. >|/=/ ?"),
        _row(_BOTTOM),
    ),
}
NOT_CHECKABLE = ("AltGr", "Fn", "Windows")


def all_keys(layout: str) -> list[Key]:
    return [key for row in LAYOUTS[layout] for key in row]


@dataclass
class KeyboardTally:
    """Which keys of a layout were seen, and which keep repeating on their own."""

    layout: str
    seen: set[str] = field(default_factory=set)
    presses: int = 0
    stuck: set[str] = field(default_factory=set)
    _last: str | None = None
    _run: int = 0

    def press(self, key: str, character: str | None) -> Key | None:
        """Note one key event; the map's key it lights, or None for an unknown one."""
        self.presses += 1
        token = character if character and character.isprintable() and len(character) == 1 else key
        if key.startswith(("ctrl+", "alt+", "shift+")):
            self._light_modifier(key.split("+", 1)[0])
            token = key.rsplit("+", 1)[1]
        found = self.key_for(token) or self.key_for(key)
        if found is None:
            return None
        if found.label in self.seen and self._last == found.label:
            self._run += 1
            if self._run >= STUCK_REPEATS:
                self.stuck.add(found.label)
        else:
            self._run = 1
        self._last = found.label
        if token == found.shifted:
            self._light_modifier("shift")
        self.seen.add(found.label)
        return found

    def key_for(self, token: str) -> Key | None:
        """The key drawn with this label first: on AZERTY '^' is its own (dead) key, and
        also AltGr+ç; the ç key must not light for it."""
        keys = all_keys(self.layout)
        labelled = next((k for k in keys if k.label == token and token in k.sends), None)
        return labelled or next((k for k in keys if token in k.sends), None)

    def _light_modifier(self, name: str) -> None:
        modifier = self.key_for(name)
        if modifier is not None:
            self.seen.add(modifier.label)

    def never_pressed(self) -> list[str]:
        return [k.label for k in all_keys(self.layout) if k.label not in self.seen]
