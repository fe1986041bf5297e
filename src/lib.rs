#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod discovery;
pub mod el;
pub mod error;
pub mod server;
pub mod token;

pub use config::{Diagnostic, ServerConfig, Severity};
pub use error::ConfigError;
pub use server::{AuthorizationServer, Options};
