#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analysis;
pub mod check;
mod claims;
pub mod config;
pub mod discovery;
pub mod el;
pub mod error;
pub mod hook;
pub mod mint;
pub mod policy;
pub mod request;
pub mod server;
pub mod token;

pub use config::{Diagnostic, ServerConfig, Severity};
pub use error::{ConfigError, OAuthError, OAuthErrorId};
pub use mint::TokenResponse;
pub use policy::{Grant, Trace};
pub use request::TokenRequest;
pub use server::{AuthorizationServer, Options};
