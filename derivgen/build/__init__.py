"""Batches of problems: worker processes, the build cache, and the FILE:LINE report."""
