"""The screens of the bench TUI."""
