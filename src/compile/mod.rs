//! Compiling a configuration: the caps, validation, the lowering of the policies and claims
//! into their compiled forms, and the analysis of the compiled policies.
//!
//! [`compile`] is the one pass the server runs: it counts the caps first (so that the rest is
//! bounded), then validates every object (every problem at once, each located), lowers the
//! claims ([`ClaimSet`]) and the policies ([`Engine`]), and analyses the compiled policies for
//! rules that can never match and scopes no rule grants. The configuration types it reads are
//! in [`crate::config`]; the compiled forms belong to the layers that evaluate them.

pub(crate) mod analysis;
mod options;
pub(crate) mod validate;

pub use options::Options;

use crate::claims::ClaimSet;
use crate::config::{ConfigError, Diagnostic, ServerConfig};
use crate::mint;
use crate::policy::Engine;
use crate::token::EncryptionKey;

/// What compiling a configuration produces.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// The compiled policies.
    pub(crate) engine: Engine,
    /// The compiled claims.
    pub(crate) claims: ClaimSet,
    /// The access-token encryption key, when the configuration asks for encryption.
    pub(crate) encryption: Option<EncryptionKey>,
    /// The validator's warnings, then the analysis's.
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Compiles `config` under `options`: every problem at once, or the compiled forms and the
/// warnings. A configuration over one of the [caps](Options#caps) gets only the cap errors.
pub(crate) fn compile(config: &ServerConfig, options: &Options) -> Result<Compiled, ConfigError> {
    let caps = validate::caps(config, options);
    if !caps.is_empty() {
        return Err(ConfigError::new(caps));
    }
    let mut diagnostics = validate::validate(config, options);
    let claims = ClaimSet::compile(config, &options.limits, &mut diagnostics);
    let encryption = mint::compile_encryption(config, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(ConfigError::new(diagnostics));
    }
    let mut engine = Engine::new(config, options.implicit_oidc_scopes);
    engine.org_id = options.org_id.clone();
    let mut warnings = diagnostics;
    warnings.extend(analysis::analyze(
        config,
        &engine,
        options.max_analysis_comparisons,
    ));
    Ok(Compiled {
        engine,
        claims,
        encryption,
        warnings,
    })
}
