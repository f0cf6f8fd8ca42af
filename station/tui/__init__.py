"""The bench TUI (Textual): French first, keyboard only, 80 x 25, Linux console colours."""
