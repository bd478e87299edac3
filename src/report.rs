//! Unified diffs and summaries.
