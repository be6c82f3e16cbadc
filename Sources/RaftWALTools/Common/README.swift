// Shared output helpers for the tools (tables, JSON, exit codes) live here.
