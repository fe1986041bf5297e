#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[allow(dead_code)] // wired into minting next
mod claims;
pub mod config;
pub mod el;
pub mod error;
pub mod server;

pub use config::{Diagnostic, ServerConfig, Severity};
pub use error::ConfigError;
pub use server::{AuthorizationServer, Options};
