//! Every command-line flag.
