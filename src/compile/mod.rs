//! Compiling a configuration: the caps, validation, the lowering of the policies and claims
//! into their compiled forms, and the analysis of the compiled policies.
//!
//! [`compile`] is what the server runs: it counts the caps first (so that the rest is bounded),
//! then walks the configuration once (`walk`): every object — the server, each scope, claim,
//! policy and rule — is checked and lowered into its compiled form in the same visit, emitting
//! its diagnostics as it goes (every problem at once, each located): the encryption key, the
//! claims ([`ClaimSet`], each expression and GROUPS filter compiled once) and the policies'
//! rules. With no error, the lowered policies are finished into the [`Engine`] (evaluation
//! order, client index) and the analysis reads that compiled form for rules that can never
//! match and scopes no rule grants. The configuration types it reads are in
//! [`crate::config`]; the compiled forms belong to the layers that evaluate them.

pub(crate) mod analysis;
mod options;
mod walk;

pub use options::Options;

use crate::claims::ClaimSet;
use crate::config::{ConfigError, Diagnostic, ServerConfig};
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
    /// The walk's warnings, then the analysis's.
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Compiles `config` under `options`: every problem at once, or the compiled forms and the
/// warnings. A configuration over one of the [caps](Options#caps) gets only the cap errors.
pub(crate) fn compile(config: &ServerConfig, options: &Options) -> Result<Compiled, ConfigError> {
    let caps = walk::caps(config, options);
    if !caps.is_empty() {
        return Err(ConfigError::new(caps));
    }
    let walked = walk::walk(config, options);
    if walked.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(ConfigError::new(walked.diagnostics));
    }
    let mut engine = walked.engine.finish();
    engine.org_id = options.org_id.clone();
    let mut warnings = walked.diagnostics;
    warnings.extend(analysis::analyze(
        config,
        &engine,
        options.max_analysis_comparisons,
    ));
    Ok(Compiled {
        engine,
        claims: walked.claims,
        encryption: walked.encryption,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::el::compile_counts;
    use serde_json::json;

    fn config(claims: serde_json::Value) -> ServerConfig {
        ServerConfig::from_value(json!({
            "authorizationServer": {"name": "s", "audiences": ["api://s"],
                                    "issuer": "https://example.okta.com/oauth2/s"},
            "scopes": [{"name": "orders:read"}],
            "claims": claims,
            "policies": [{"name": "P", "description": "d", "priority": 1,
                "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
                "rules": [{"name": "R", "priority": 1,
                    "conditions": {"grantTypes": {"include": ["client_credentials"]},
                                   "scopes": {"include": ["*"]}}}]}]
        }))
        .expect("loads")
    }

    /// Loading a configuration compiles each claim expression and each REGEX group filter
    /// exactly once: the walk's check and the compiled claim share what it compiled.
    #[test]
    fn each_expression_and_group_regex_compiles_once() {
        let claims = json!([
            {"name": "a", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "app.clientId"},
            {"name": "b", "claimType": "IDENTITY", "valueType": "EXPRESSION", "value": "user.email"},
            {"name": "c", "status": "INACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
             "value": "'x' + 'y'"},
            {"name": "d", "claimType": "RESOURCE", "valueType": "SYSTEM", "value": "String.len('abc')"},
            {"name": "g", "claimType": "RESOURCE", "valueType": "GROUPS", "group_filter_type": "REGEX",
             "value": "/orders-.*/"},
            {"name": "h", "claimType": "IDENTITY", "valueType": "GROUPS", "group_filter_type": "REGEX",
             "value": "admin.*"},
            {"name": "i", "claimType": "RESOURCE", "valueType": "GROUPS",
             "group_filter_type": "STARTS_WITH", "value": "orders"}
        ]);
        compile_counts::take();
        let compiled = compile(&config(claims), &Options::default()).expect("compiles");
        // four claim expressions and the default sub claim's; two REGEX filters
        assert_eq!(compile_counts::take(), (5, 2));
        assert_eq!(
            compiled.claims.access.len(),
            4,
            "a, d, g and i; c is inactive"
        );
        assert_eq!(compiled.claims.identity.len(), 2);
    }

    /// A configuration with errors is walked once too: every expression and regex is compiled
    /// once, whether it compiles or not, and none is compiled again to report it.
    #[test]
    fn a_configuration_with_errors_compiles_each_once() {
        let claims = json!([
            {"name": "a", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.("},
            {"name": "b", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": ""},
            {"name": "g", "claimType": "RESOURCE", "valueType": "GROUPS", "group_filter_type": "REGEX",
             "value": "admin("},
            {"name": "sub", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "app.clientId"}
        ]);
        compile_counts::take();
        let err = compile(&config(claims), &Options::default()).unwrap_err();
        // `user.(` and the configured sub (the empty one is refused before compiling, and the
        // default sub is not needed); one REGEX filter
        assert_eq!(compile_counts::take(), (2, 1));
        let codes: Vec<&str> = err.errors().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                "claim.value.missing",
                "claim.value.regex",
                "claim.value.expression"
            ]
        );
    }
}
