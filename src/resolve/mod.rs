//! Resolving tags to digests.
