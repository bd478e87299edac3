//! File discovery.
