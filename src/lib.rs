#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
mod claims;
mod compile;
pub mod config;
pub mod discovery;
pub mod el;
pub mod hook;
pub mod mint;
mod oauth;
pub mod policy;
pub mod request;
pub mod server;
pub mod token;

pub use compile::Options;
pub use config::ConfigError;
pub use config::{Diagnostic, ServerConfig, Severity};
pub use mint::TokenResponse;
pub use oauth::{OAuthError, OAuthErrorId};
pub use policy::{Grant, Trace};
pub use request::TokenRequest;
pub use server::AuthorizationServer;
