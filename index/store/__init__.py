"""The index on disk: its layout (layout), reading generations (generations), building them (build)."""
