//! Compiling a configuration: validation, lowering and analysis.

pub(crate) mod analysis;
mod options;
pub(crate) mod validate;

pub use options::Options;
