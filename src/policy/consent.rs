//! The consent decision Okta makes at `/authorize`: which of the granted scopes the user must be
//! asked to consent to, or `consent_required` when the request says not to ask (`prompt=none`).
//!
//! Inputs: each scope's `consent` (`IMPLICIT`, `REQUIRED`, `FLEXIBLE`), the client's
//! `consentMethod` (`REQUIRED`, `TRUSTED`), the request's `prompt` and the scopes the user already
//! consented to for this client. Okta's matrix (Authorization Servers API, "Scope consent"):
//!
//! | prompt | consentMethod | scope consent | result |
//! |---|---|---|---|
//! | `consent` | `TRUSTED` or `REQUIRED` | `REQUIRED` | prompted |
//! | `consent` | `TRUSTED` or `REQUIRED` | `FLEXIBLE` | prompted |
//! | `consent` | `TRUSTED` | `IMPLICIT` | not prompted |
//! | not `consent` | `TRUSTED` | any | not prompted |
//! | not `consent` | `REQUIRED` | `FLEXIBLE` or `REQUIRED` | prompted |
//! | not `consent` | `REQUIRED` | `IMPLICIT` | not prompted |
//!
//! tokenmint's decisions where the matrix is silent:
//!
//! * `IMPLICIT` scopes are never prompted, also for `prompt=consent` with a `REQUIRED` client.
//! * Without `prompt=consent`, a scope the user already consented to is not asked again;
//!   `prompt=consent` asks for it again (OIDC Core §3.1.2.1: the server prompts for consent).
//! * `prompt=none` where the matrix says "prompted" fails with `consent_required`, naming the
//!   scopes ("If the prompt value is set to NONE, but the consent_method and the consent values
//!   are set to REQUIRED, then an error occurs."); `prompt=login` decides like no `prompt`.
//! * A client without a `consentMethod` is `TRUSTED` (the default of applications created with
//!   Okta's Apps API).
//! * The decision applies to the user flows that pass through `/authorize`
//!   (`authorization_code`, `implicit`, `interaction_code`). Client credentials have no user:
//!   a `REQUIRED` scope is refused with `consent_required` (client-credentials text) and a
//!   `FLEXIBLE` one is granted without a prompt. Other grants (`password`, `refresh_token`,
//!   device code, …) show no consent screen.
//!
//! ```
//! use tokenmint::config::{Consent, GrantType};
//! use tokenmint::consent::{ConsentMethod, Prompt, decide};
//!
//! let scopes = [("openid", Consent::Implicit), ("orders:write", Consent::Required)];
//! let ask = decide(&GrantType::AuthorizationCode, scopes, ConsentMethod::Required, None, &[]);
//! assert_eq!(ask.unwrap(), Some(vec!["orders:write".to_owned()]));
//!
//! let err = decide(&GrantType::AuthorizationCode, scopes, ConsentMethod::Required,
//!                  Some(Prompt::None), &[]).unwrap_err();
//! assert_eq!(err.description(), "The following scopes require user consent: [orders:write].");
//! ```

use crate::config::{Consent, GrantType};
use crate::oauth::{OAuthError, OAuthErrorId};
use crate::request::{ConsentMethod, Prompt};

/// Whether a grant type passes through `/authorize`, where the user may be asked for consent.
pub fn asks_user(grant: &GrantType) -> bool {
    matches!(
        grant,
        GrantType::AuthorizationCode | GrantType::Implicit | GrantType::InteractionCode
    )
}

/// Whether one scope is prompted (the matrix above), before looking at earlier consent.
fn prompted(consent: Consent, method: ConsentMethod, prompt: Option<Prompt>) -> bool {
    match (consent, prompt) {
        (Consent::Implicit, _) => false,
        (Consent::Required | Consent::Flexible, Some(Prompt::Consent)) => true,
        (Consent::Required | Consent::Flexible, _) => method == ConsentMethod::Required,
    }
}

/// The consent decision for the granted `scopes` (name and consent mode, in grant order).
///
/// * `Ok(None)`: the grant type shows no consent screen (or client credentials without a
///   `REQUIRED` scope);
/// * `Ok(Some(list))`: the scopes to ask the user for, in grant order (empty: nothing to ask);
/// * `Err`: `consent_required` — `prompt=none` where consent is needed ("The following scopes
///   require user consent: [...]."), or a `REQUIRED` scope asked with client credentials.
///
/// `consented` lists the scopes the user already consented to for this client.
pub fn decide<'s>(
    grant: &GrantType,
    scopes: impl IntoIterator<Item = (&'s str, Consent)>,
    method: ConsentMethod,
    prompt: Option<Prompt>,
    consented: &[String],
) -> Result<Option<Vec<String>>, OAuthError> {
    if *grant == GrantType::ClientCredentials {
        let required: Vec<&str> = scopes
            .into_iter()
            .filter(|(_, c)| *c == Consent::Required)
            .map(|(s, _)| s)
            .collect();
        if required.is_empty() {
            return Ok(None);
        }
        return Err(OAuthError::with_values(
            OAuthErrorId::ConsentRequiredClientCredentials,
            &required,
        ));
    }
    if !asks_user(grant) {
        return Ok(None);
    }
    let again = prompt == Some(Prompt::Consent);
    // The consented list comes from the request: a set once it is long, so that the cost stays
    // linear whatever its length.
    let set: Option<std::collections::HashSet<&str>> =
        (consented.len() > 16).then(|| consented.iter().map(String::as_str).collect());
    let given = |s: &str| match &set {
        Some(set) => set.contains(s),
        None => consented.iter().any(|x| x == s),
    };
    let ask: Vec<String> = scopes
        .into_iter()
        .filter(|&(s, c)| prompted(c, method, prompt) && (again || !given(s)))
        .map(|(s, _)| s.to_owned())
        .collect();
    if prompt == Some(Prompt::None) && !ask.is_empty() {
        return Err(OAuthError::with_values(OAuthErrorId::ConsentRequired, &ask));
    }
    Ok(Some(ask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_consented_scopes_are_not_asked_again_unless_prompt_consent() {
        let scopes = [("a", Consent::Required), ("b", Consent::Flexible)];
        let done = ["a".to_owned()];
        let g = GrantType::AuthorizationCode;
        let m = ConsentMethod::Required;
        assert_eq!(
            decide(&g, scopes, m, None, &done).unwrap(),
            Some(vec!["b".to_owned()])
        );
        assert_eq!(
            decide(&g, scopes, m, Some(Prompt::Consent), &done).unwrap(),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        let all = ["a".to_owned(), "b".to_owned()];
        assert_eq!(
            decide(&g, scopes, m, Some(Prompt::None), &all).unwrap(),
            Some(vec![])
        );
    }

    #[test]
    fn a_long_consented_list_is_a_set() {
        let many: Vec<String> = (0..1000).map(|i| format!("s{i}")).collect();
        let scopes = [("s999", Consent::Required), ("t", Consent::Required)];
        let d = decide(
            &GrantType::AuthorizationCode,
            scopes,
            ConsentMethod::Required,
            None,
            &many,
        );
        assert_eq!(d.unwrap(), Some(vec!["t".to_owned()]));
    }

    #[test]
    fn other_grants_show_no_consent_screen() {
        let scopes = [("a", Consent::Required)];
        for g in [
            GrantType::Password,
            GrantType::RefreshToken,
            GrantType::DeviceCode,
        ] {
            let d = decide(&g, scopes, ConsentMethod::Required, Some(Prompt::None), &[]);
            assert_eq!(d.unwrap(), None, "{g}");
        }
    }
}
