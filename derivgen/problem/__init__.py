"""Problem files: YAML in, a validated ``Problem`` (every key's line recorded) out."""
