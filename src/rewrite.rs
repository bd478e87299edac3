//! Applies span edits to a file's text.
