#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analysis;
pub mod config;
pub mod el;
pub mod error;
pub mod server;

pub use config::{Diagnostic, ServerConfig, Severity};
pub use error::ConfigError;
pub use server::{AuthorizationServer, Options};
pub mod policy;
pub mod request;
pub mod token;
pub use error::{OAuthError, OAuthErrorId};
pub use policy::{Grant, Trace};
pub use request::TokenRequest;
