"""The keyboard test's map: the laptop's layout drawn key by key, each key shown
pressed (green, reversed) once the terminal saw it, stuck keys in red."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from station.domain.keyboard_layouts import LAYOUTS, Key, KeyboardTally

CELL = 3  # characters per key unit, plus one space between keys


class KeyboardMap(Static):
    def __init__(self, tally: KeyboardTally, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.tally = tally

    def on_mount(self) -> None:
        self.redraw()

    def press(self, key: str, character: str | None) -> Key | None:
        found = self.tally.press(key, character)
        self.redraw()
        return found

    def redraw(self) -> None:
        self.update(self.picture())

    def picture(self) -> Text:
        text = Text()
        for row in LAYOUTS[self.tally.layout]:
            for key in row:
                width = key.width * CELL + (key.width - 1)
                label = key.label[:width].center(width)
                if key.label in self.tally.stuck:
                    style = "bold white on red"
                elif key.label in self.tally.seen:
                    style = "bold black on green"
                else:
                    style = "black on white"
                text.append(label, style=style)
                text.append(" ")
            text.append("\n")
        return text
