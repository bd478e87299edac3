//! `imagepin`: find container image references in a tree, resolve their tags to registry digests,
//! and rewrite only the bytes of each reference.
//!
//! The pipeline, one module per stage: [`walk`] → [`formats`] → [`reference`] → [`resolve`] →
//! [`rewrite`] → [`report`]; [`cli`] holds every flag and [`app`] wires the stages together.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod cli;
pub mod config;
pub mod formats;
pub mod interrupt;
pub mod reference;
pub mod report;
pub mod resolve;
pub mod rewrite;
pub mod walk;
