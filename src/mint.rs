//! Minting: a [`Grant`] becomes signed tokens — claim assembly in Okta's order, the access
//! token, the (thin or full) ID token, the refresh token and its record — and the userinfo
//! claim set.
//!
//! Claims are compiled once, when the server is compiled; minting
//! converts the grant's context to expression values once, evaluates the claims that apply,
//! serializes each token once and signs those bytes with the key set's prepared signer.

use crate::claims::{
    ClaimSet, ClaimValue, CompiledClaim, GroupsError, OidcScopes, StandardClaims, standard_claims,
};
use crate::config::{Diagnostic, ServerConfig};
use crate::el;
use crate::hook::{
    HookHttpRequest, HookIdp, HookInput, HookLimits, HookOutcome, HookProtocol, HookRefusal,
    HookScope, HookSession, HookToken, HookTokens, HookUser, apply_response,
};
use crate::oauth::{OAuthError, OAuthErrorId};
use crate::policy::Grant;
use crate::request::ResponseType;
use crate::token::{
    DeviceSecretRecord, EncryptionKey, JtiKind, KeyEncryption, KeySet, RefreshRecord, StackStr,
    left_half_hash_stack, new_jti_stack,
};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::CryptoRng;
use serde::Serialize;
use serde_json::{Map, Value};

/// ID-token lifetime: 60 minutes, not configurable.
pub const ID_TOKEN_LIFETIME_SECONDS: i64 = 3600;

/// What a successful mint returns: the tokens and the RFC 6749 §5.1 response fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenResponse {
    /// `DPoP` when the access token is bound to a DPoP key (RFC 9449 §5), else `Bearer`.
    pub token_type: &'static str,
    /// Access-token lifetime in seconds (absent when no access token is issued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The access token: a signed JWT, or — when the server encrypts access tokens — a JWE
    /// holding it (nested JWT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The signed ID token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The opaque refresh-token handle (43 base64url characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// What the host stores under the refresh-token handle (not part of the response body).
    #[serde(skip)]
    pub refresh_record: Option<RefreshRecord>,
    /// The device secret of Okta's Native SSO (`device_sso` granted with `openid`; 43
    /// base64url characters). The ID token carries its hash (`ds_hash`); the host stores it
    /// with its [`device_record`](TokenResponse::device_record), to accept it as the
    /// `actor_token` of a later token exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_secret: Option<String>,
    /// What the host stores under the device secret (not part of the response body).
    #[serde(skip)]
    pub device_record: Option<DeviceSecretRecord>,
    /// The `jti` of the DPoP proof the access token is bound to: the host keeps it for
    /// replay detection (not part of the response body).
    #[serde(skip)]
    pub dpop_jti: Option<String>,
}

impl TokenResponse {
    /// The token-endpoint response body (RFC 6749 §5.1): `access_token`, `token_type`,
    /// `expires_in`, `scope`, and `refresh_token` / `id_token` / `device_secret` when issued.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(t) = &self.access_token {
            m.insert("access_token".into(), Value::from(t.as_str()));
        }
        m.insert("token_type".into(), Value::from(self.token_type));
        if let Some(e) = self.expires_in {
            m.insert("expires_in".into(), Value::from(e));
        }
        m.insert("scope".into(), Value::from(self.scope.as_str()));
        if let Some(t) = &self.refresh_token {
            m.insert("refresh_token".into(), Value::from(t.as_str()));
        }
        if let Some(t) = &self.id_token {
            m.insert("id_token".into(), Value::from(t.as_str()));
        }
        if let Some(t) = &self.device_secret {
            m.insert("device_secret".into(), Value::from(t.as_str()));
        }
        Value::Object(m)
    }
}

/// Which tokens a grant yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub access: bool,
    pub id: bool,
    /// The ID token carries every scope-dependent claim (no access token in the response).
    pub full_id: bool,
    pub refresh: bool,
}

/// Grant types whose `offline_access` yields a refresh token.
fn issues_refresh(g: &crate::config::GrantType) -> bool {
    use crate::config::GrantType::*;
    matches!(
        g,
        AuthorizationCode | Password | RefreshToken | DeviceCode | InteractionCode
    )
}

pub(crate) fn plan(grant: &Grant) -> Result<Plan, OAuthError> {
    let has = |s: &str| grant.scopes.iter().any(|g| g == s);
    let openid = has("openid");
    let user = grant.subject.is_some();
    if grant.grant_type == crate::config::GrantType::Implicit {
        // The authorization endpoint: the response type says which tokens. Without one, both
        // (the access token, and the ID token when `openid` is granted).
        let default = ResponseType::parse("token id_token");
        let rt = grant.response_type.as_ref().unwrap_or(&default);
        let access = rt.contains("token");
        let wants_id = rt.contains("id_token");
        if wants_id && !openid && grant.response_type.is_some() {
            return Err(OAuthError::new(OAuthErrorId::OpenidScopeRequired));
        }
        let id = wants_id && openid && user;
        if !access && !id {
            return Err(OAuthError::new(OAuthErrorId::AccessTokenNotGenerated)
                .with_cause(format!("the response type {rt} asks for no token")));
        }
        return Ok(Plan {
            access,
            id,
            full_id: id && !access,
            refresh: false,
        });
    }
    Ok(Plan {
        access: true,
        id: openid && user,
        full_id: false,
        refresh: has("offline_access")
            && user
            && grant.client_refresh_token
            && issues_refresh(&grant.grant_type),
    })
}

/// Per-mint evaluation state: the group names GROUPS claims filter, read once.
struct Evaluation<'a> {
    grant: &'a Grant,
    groups: Option<Vec<&'a str>>,
}

impl<'a> Evaluation<'a> {
    fn new(grant: &'a Grant) -> Self {
        Evaluation {
            grant,
            groups: None,
        }
    }

    /// The claim's value; `None` when it evaluates to null (the claim is omitted).
    ///
    /// Without a user (client credentials), a claim about the user can have no value: a GROUPS
    /// claim, and an expression reading the user or app user whose evaluation fails, are
    /// omitted instead of failing the request. (Expressions that guard against the missing
    /// user, such as `user != null ? user.email : app.clientId`, evaluate as written.)
    fn value(&mut self, c: &CompiledClaim) -> Result<Option<ClaimValueOut<'a>>, OAuthError> {
        let userless = self.grant.subject.is_none();
        match &c.value {
            ClaimValue::Groups(_) if userless => Ok(None),
            ClaimValue::Expression(p) => match p.eval(&self.grant.context) {
                Ok(v) if v.is_null() => Ok(None),
                Ok(v) => Ok(Some(ClaimValueOut::Value(v))),
                Err(_) if userless && p.reads_user() && c.name != "sub" => Ok(None),
                Err(e) => {
                    let id = if c.system {
                        OAuthErrorId::SystemClaimEvaluationFailure
                    } else {
                        OAuthErrorId::UserClaimEvaluationFailure
                    };
                    Err(OAuthError::with_arg(id, &c.name).with_cause(e.to_string()))
                }
            },
            ClaimValue::Groups(f) => {
                let grant = self.grant;
                // The user's Okta groups (types `OKTA_GROUP` and `BUILT_IN`, or no type given).
                let names = self.groups.get_or_insert_with(|| {
                    grant
                        .context
                        .user
                        .as_deref()
                        .map(el::UserView::okta_group_names)
                        .unwrap_or_default()
                });
                match f.apply(names.iter().copied()) {
                    Ok(list) => Ok(Some(ClaimValueOut::Names(list))),
                    Err(GroupsError::Search(e)) => {
                        let id = if c.system {
                            OAuthErrorId::SystemClaimEvaluationFailure
                        } else {
                            OAuthErrorId::UserClaimEvaluationFailure
                        };
                        Err(OAuthError::with_arg(id, &c.name).with_cause(e.to_string()))
                    }
                    Err(GroupsError::TooMany(n)) => Err(OAuthError::new(
                        OAuthErrorId::TooManyGroupsInGroupsClaim,
                    )
                    .with_cause(format!(
                        "{n} groups match the filter of the claim {:?}; at most {} are allowed",
                        c.name,
                        crate::claims::MAX_GROUPS_IN_CLAIM
                    ))),
                }
            }
        }
    }

    /// Adds the custom claims that apply, in configuration order; names already present keep
    /// their value.
    fn custom(
        &mut self,
        claims: &'a [CompiledClaim],
        only_always_included: bool,
        out: &mut impl ClaimSink<'a>,
    ) -> Result<(), OAuthError> {
        for c in claims {
            if !c.applies(&self.grant.scopes)
                || (only_always_included && !c.always_include)
                || out.has(&c.name)
            {
                continue;
            }
            if let Some(v) = self.value(c)? {
                out.put(&c.name, &v)?;
            }
        }
        Ok(())
    }
}

/// The value of a custom claim: an expression's value, or the group names a GROUPS claim
/// passes. Serializes as its JSON.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ClaimValueOut<'a> {
    Value(el::Value),
    Names(Vec<&'a str>),
}

impl ClaimValueOut<'_> {
    fn to_json(&self) -> Value {
        match self {
            ClaimValueOut::Value(v) => v.to_json(),
            ClaimValueOut::Names(n) => Value::from(n.clone()),
        }
    }
}

/// Where claims go: a JSON map (userinfo) or a token payload being written.
trait ClaimSink<'n> {
    /// Whether a claim of that name is present.
    fn has(&self, name: &str) -> bool;
    /// Adds a claim (the caller checked it is not present).
    fn put(&mut self, name: &'n str, value: &ClaimValueOut<'_>) -> Result<(), OAuthError>;
}

impl<'n> ClaimSink<'n> for Map<String, Value> {
    fn has(&self, name: &str) -> bool {
        self.contains_key(name)
    }

    fn put(&mut self, name: &'n str, value: &ClaimValueOut<'_>) -> Result<(), OAuthError> {
        self.insert(name.to_owned(), value.to_json());
        Ok(())
    }
}

/// A token payload written claim by claim, in order, straight into its JSON bytes (no map is
/// built); the names written are kept for [`ClaimSink::has`].
struct PayloadWriter<'s, 'n> {
    map: serde_json::ser::Compound<'s, &'s mut Vec<u8>, serde_json::ser::CompactFormatter>,
    names: Vec<&'n str>,
    /// The error a failed write becomes.
    error: OAuthErrorId,
}

impl<'s, 'n> PayloadWriter<'s, 'n> {
    /// Starts a payload; `names` is a spare (empty) list to keep the claim names in.
    fn new(
        ser: &'s mut serde_json::Serializer<&'s mut Vec<u8>>,
        mut names: Vec<&'n str>,
        error: OAuthErrorId,
    ) -> Result<Self, OAuthError> {
        use serde::Serializer as _;
        let map = ser
            .serialize_map(None)
            .map_err(|e| OAuthError::new(error).with_cause(e.to_string()))?;
        names.clear();
        Ok(PayloadWriter { map, names, error })
    }

    /// Writes a claim.
    fn claim<V: Serialize + ?Sized>(&mut self, name: &'n str, value: &V) -> Result<(), OAuthError> {
        use serde::ser::SerializeMap as _;
        self.map
            .serialize_entry(name, value)
            .map_err(|e| OAuthError::new(self.error).with_cause(e.to_string()))?;
        self.names.push(name);
        Ok(())
    }

    /// Closes the payload; gives back the list of names for the next one.
    fn finish(self) -> Result<Vec<&'n str>, OAuthError> {
        use serde::ser::SerializeMap as _;
        let error = self.error;
        self.map
            .end()
            .map_err(|e| OAuthError::new(error).with_cause(e.to_string()))?;
        Ok(self.names)
    }
}

impl<'n> ClaimSink<'n> for PayloadWriter<'_, 'n> {
    fn has(&self, name: &str) -> bool {
        self.names.contains(&name)
    }

    fn put(&mut self, name: &'n str, value: &ClaimValueOut<'_>) -> Result<(), OAuthError> {
        self.claim(name, value)
    }
}

fn standard(grant: &Grant, full: bool) -> StandardClaims<'_> {
    let user = grant.context.user.as_deref();
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let profile = user
        .and_then(el::UserView::profile_json)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
    let updated = user
        .and_then(el::UserView::last_updated)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp());
    standard_claims(
        profile,
        updated,
        user.and_then(el::UserView::email_verified),
        OidcScopes::from_granted(grant.scopes.iter().map(String::as_str)),
        full,
    )
}

/// A member of a map root of the grant's context (`session.amr`, `org.id`).
fn root_member<'g>(grant: &'g Grant, root: &str, member: &str) -> Option<&'g el::Value> {
    match grant.context.root(root) {
        Some(el::Value::Map(m)) => m.get(member),
        _ => None,
    }
}

fn b64_random(rng: &mut impl CryptoRng) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What minting needs of a compiled server — its claims, its configuration (issuer,
/// audience, lifetimes), the options that shape tokens and the access-token encryption key
/// chosen when it was compiled — held once, so that minting takes only what varies per
/// request (the grant, the keys, the clock and the RNG).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Minter<'s> {
    pub(crate) claims: &'s ClaimSet,
    pub(crate) config: &'s ServerConfig,
    pub(crate) at_jwt_typ: bool,
    pub(crate) encryption: Option<&'s EncryptionKey>,
}

/// Picks the access-token encryption key once, when the server is compiled: with
/// `accessTokenEncryptedResponseAlgorithm` set, the server's `jwks` must hold exactly one
/// usable key for it ([`EncryptionKey::select`]); every problem is a located error, so that a
/// server configured to encrypt never mints a plain access token. (An unknown algorithm is
/// the validator's `server.encryption.alg`.)
pub(crate) fn compile_encryption(
    config: &ServerConfig,
    diags: &mut Vec<Diagnostic>,
) -> Option<EncryptionKey> {
    const AT: &str = "/authorizationServer";
    let server = &config.authorization_server;
    let name = server
        .access_token_encrypted_response_algorithm
        .as_deref()?;
    let alg: KeyEncryption = name.parse().ok()?;
    let Some(jwks) = &server.jwks else {
        let mut d = Diagnostic::error(
            "server.encryption.jwks",
            format!("{AT}/jwks"),
            format!(
                "accessTokenEncryptedResponseAlgorithm is {name} but the server has no \"jwks\" with the resource server's encryption key"
            ),
        );
        d = d.with_hint(if server.jwks_uri.is_some() {
            "the library does no I/O: fetch the keys of \"jwks_uri\" and put them in \"jwks\" ({\"keys\": [...]}), or remove the algorithm"
        } else {
            "add \"jwks\": {\"keys\": [<the resource server's RSA public key, \"use\": \"enc\">]}, or remove the algorithm"
        });
        diags.push(d);
        return None;
    };
    match EncryptionKey::select(jwks, alg) {
        Ok(key) => Some(key),
        Err(e) => {
            let path = match e.key_index() {
                Some(i) => format!("{AT}/jwks/keys/{i}"),
                None => format!("{AT}/jwks"),
            };
            diags.push(
                Diagnostic::error("server.encryption.key", path, e.to_string()).with_hint(
                    "access tokens are encrypted to exactly one RSA key of \"jwks\" with \"use\": \"enc\" or a matching \"alg\"",
                ),
            );
            None
        }
    }
}

/// A sink that takes any serializable claim value (the token payloads).
trait Payload<'n>: ClaimSink<'n> {
    /// Adds a claim.
    fn claim<V: Serialize + ?Sized>(&mut self, name: &'n str, value: &V) -> Result<(), OAuthError>;
}

impl<'n> Payload<'n> for PayloadWriter<'_, 'n> {
    fn claim<V: Serialize + ?Sized>(&mut self, name: &'n str, value: &V) -> Result<(), OAuthError> {
        PayloadWriter::claim(self, name, value)
    }
}

/// A token's claims collected into a map (in order), for a hook to see and patch before they
/// are signed.
struct MapWriter {
    map: Map<String, Value>,
    error: OAuthErrorId,
}

impl<'n> ClaimSink<'n> for MapWriter {
    fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    fn put(&mut self, name: &'n str, value: &ClaimValueOut<'_>) -> Result<(), OAuthError> {
        self.map.insert(name.to_owned(), value.to_json());
        Ok(())
    }
}

impl<'n> Payload<'n> for MapWriter {
    fn claim<V: Serialize + ?Sized>(&mut self, name: &'n str, value: &V) -> Result<(), OAuthError> {
        let v = serde_json::to_value(value)
            .map_err(|e| OAuthError::new(self.error).with_cause(e.to_string()))?;
        self.map.insert(name.to_owned(), v);
        Ok(())
    }
}

/// What both tokens of one mint share, and the random values drawn for it — in this order,
/// before anything is signed: the access token's `jti`, the ID token's `jti`, the refresh
/// handle, the device secret, and (for a rule with a hook) the hook event id. Encryption draws
/// last, when the access token is signed.
struct Basis<'g> {
    plan: Plan,
    issuer: &'g str,
    iat: i64,
    auth_time: i64,
    user_id: Option<&'g str>,
    access_lifetime: i64,
    at_jti: Option<StackStr<46>>,
    id_jti: Option<StackStr<46>>,
    refresh: Option<(String, RefreshRecord)>,
    device_secret: Option<String>,
    event_id: Option<String>,
}

impl<'g> Basis<'g> {
    fn new(
        config: &'g ServerConfig,
        grant: &'g Grant,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<Self, OAuthError> {
        let plan = plan(grant)?;
        if let Some(jkt) = grant.refresh.as_ref().and_then(|r| r.jkt.as_deref()) {
            // Evaluation checked the proof; a grant assembled by hand is checked here too.
            match &grant.dpop {
                Some(d) if d.jkt == jkt => {}
                Some(d) => {
                    return Err(crate::token::DpopError::KeyMismatch {
                        bound: jkt.to_owned(),
                        proof: d.jkt.clone(),
                    }
                    .to_oauth_error());
                }
                None => return Err(crate::token::DpopError::ProofMissing.to_oauth_error()),
            }
        }
        let at_jti = plan.access.then(|| new_jti_stack(JtiKind::Access, rng));
        let id_jti = plan.id.then(|| new_jti_stack(JtiKind::Id, rng));
        let refresh = plan
            .refresh
            .then(|| (b64_random(rng), grant.refresh_record(now)));
        let device_secret = device_sso(grant, &plan).then(|| b64_random(rng));
        let event_id = grant.inline_hook.as_ref().map(|_| {
            let mut bytes = [0u8; 16];
            rng.fill_bytes(&mut bytes);
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        });
        Ok(Basis {
            plan,
            // `issuerMode: DYNAMIC`: the issuer evaluation chose from the request's host.
            issuer: match &grant.issuer {
                Some(dynamic) => dynamic.as_str(),
                None => config
                    .authorization_server
                    .issuer
                    .as_deref()
                    .unwrap_or_default(),
            },
            iat: now.timestamp(),
            auth_time: grant
                .auth_time
                .unwrap_or_else(|| grant.evaluated_at.timestamp()),
            user_id: grant.subject.as_ref().map(|s| s.user_id.as_str()),
            access_lifetime: grant.lifetimes.access_token_lifetime_minutes * 60,
            at_jti,
            id_jti,
            refresh,
            device_secret,
            event_id,
        })
    }
}

/// Whether a grant gets a device secret (Okta's Native SSO): `device_sso` granted with
/// `openid` to a user, in a response with an ID token.
fn device_sso(grant: &Grant, plan: &Plan) -> bool {
    plan.id && plan.access && grant.scopes.iter().any(|s| s == "device_sso")
}

/// The access token's claims in Okta's order: `ver, jti, iss, aud, iat, exp, [acr], [cnf],
/// cid, [uid], scp, [auth_time], sub, <custom>`.
fn access_claims<'a, W: Payload<'a>>(
    w: &mut W,
    claims: &'a ClaimSet,
    eval: &mut Evaluation<'a>,
    config: &'a ServerConfig,
    b: &Basis<'_>,
) -> Result<(), OAuthError> {
    let grant = eval.grant;
    w.claim("ver", &1)?;
    w.claim("jti", b.at_jti.as_ref().map_or("", StackStr::as_str))?;
    w.claim("iss", b.issuer)?;
    w.claim(
        "aud",
        config
            .authorization_server
            .audiences
            .first()
            .map_or("", String::as_str),
    )?;
    w.claim("iat", &b.iat)?;
    w.claim("exp", &(b.iat + b.access_lifetime))?;
    if let Some(acr) = &grant.acr {
        w.claim("acr", acr)?;
    }
    if let Some(d) = &grant.dpop {
        w.claim("cnf", &Cnf { jkt: &d.jkt })?;
    }
    w.claim("cid", &grant.client_id)?;
    if let Some(uid) = b.user_id {
        w.claim("uid", uid)?;
    }
    w.claim("scp", &grant.scopes)?;
    if b.user_id.is_some() {
        w.claim("auth_time", &b.auth_time)?;
    }
    let sub = match &claims.sub {
        Some(c) => eval.value(c)?,
        None => None,
    };
    match sub {
        Some(v) => w.claim("sub", &v)?,
        None => {
            return Err(
                OAuthError::with_arg(OAuthErrorId::SystemClaimEvaluationFailure, "sub")
                    .with_cause("the sub expression evaluated to null"),
            );
        }
    }
    eval.custom(&claims.access, false, w)
}

/// `cnf` of a DPoP-bound token.
#[derive(Serialize)]
struct Cnf<'a> {
    jkt: &'a str,
}

/// The hashes an ID token carries of what comes with it, written after `auth_time`.
#[derive(Default)]
struct Hashes {
    at_hash: Option<StackStr<44>>,
    c_hash: Option<StackStr<44>>,
    ds_hash: Option<StackStr<44>>,
}

impl Hashes {
    fn new(
        alg: crate::token::Algorithm,
        access_token: Option<&str>,
        code: Option<&str>,
        device_secret: Option<&str>,
    ) -> Self {
        let h = |s: &str| left_half_hash_stack(alg, s.as_bytes());
        Hashes {
            at_hash: access_token.map(h),
            c_hash: code.map(h),
            ds_hash: device_secret.map(h),
        }
    }

    fn entries(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("at_hash", &self.at_hash),
            ("c_hash", &self.c_hash),
            ("ds_hash", &self.ds_hash),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.as_str())))
    }
}

/// The ID token's claims in Okta's order: `sub, <standard, early>, ver, iss, aud, iat, exp,
/// jti, amr, [acr], idp, [nonce], <standard, late>, auth_time, [at_hash], [c_hash],
/// [ds_hash], <custom>`. Without `hashes` (a token prepared for a hook) the hashes are left
/// for signing to insert after `auth_time`.
fn id_claims<'a, W: Payload<'a>>(
    w: &mut W,
    claims: &'a ClaimSet,
    eval: &mut Evaluation<'a>,
    b: &Basis<'_>,
    hashes: Option<&Hashes>,
) -> Result<(), OAuthError> {
    let grant = eval.grant;
    let std = standard(grant, b.plan.full_id);
    w.claim("sub", b.user_id.unwrap_or_default())?;
    for (k, v) in &std.early {
        w.claim(k, v)?;
    }
    w.claim("ver", &1)?;
    w.claim("iss", b.issuer)?;
    w.claim("aud", &grant.client_id)?;
    w.claim("iat", &b.iat)?;
    w.claim("exp", &(b.iat + ID_TOKEN_LIFETIME_SECONDS))?;
    w.claim("jti", b.id_jti.as_ref().map_or("", StackStr::as_str))?;
    match (&grant.amr, root_member(grant, "session", "amr")) {
        (Some(amr), _) => w.claim("amr", amr)?,
        (None, Some(amr @ el::Value::List(_))) => w.claim("amr", &amr.to_json())?,
        _ => w.claim("amr", &["pwd"])?,
    }
    if let Some(acr) = &grant.acr {
        w.claim("acr", acr)?;
    }
    match (&grant.idp, root_member(grant, "org", "id")) {
        (Some(idp), _) => w.claim("idp", idp)?,
        (None, Some(org_id)) if !org_id.is_null() => w.claim("idp", &org_id.to_json())?,
        // Evaluation refuses such a grant; one made by hand gets no token without `idp`.
        _ => {
            return Err(OAuthError::new(OAuthErrorId::IdTokenNotGenerated)
                .with_cause("the grant has no idp"));
        }
    }
    if let Some(n) = &grant.nonce {
        w.claim("nonce", n)?;
    }
    for (k, v) in &std.late {
        w.claim(k, v)?;
    }
    w.claim("auth_time", &b.auth_time)?;
    if let Some(hashes) = hashes {
        for (k, v) in hashes.entries() {
            w.claim(k, v)?;
        }
    }
    eval.custom(&claims.identity, !b.plan.full_id, w)
}

/// Signs an access token's payload and, when the server encrypts, wraps it in a JWE.
fn seal_access(
    setup: &Minter<'_>,
    signer: &crate::token::Signer,
    payload: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<String, OAuthError> {
    let e = OAuthErrorId::AccessTokenNotGenerated;
    let jws = signer
        .sign_prepared(setup.at_jwt_typ, payload)
        .map_err(|err| OAuthError::new(e).with_cause(err.to_string()))?;
    match setup.encryption {
        None => Ok(jws),
        Some(key) => key
            .encrypt(&jws, rng)
            .map_err(|err| OAuthError::new(e).with_cause(format!("encryption failed: {err}"))),
    }
}

/// The parts of a token response that don't depend on what is signed.
#[derive(Debug, Clone)]
struct ResponseParts {
    plan: Plan,
    token_type: &'static str,
    scope: String,
    refresh: Option<(String, RefreshRecord)>,
    device_secret: Option<String>,
    device_record: Option<DeviceSecretRecord>,
    dpop_jti: Option<String>,
}

impl ResponseParts {
    fn new(
        plan: Plan,
        grant: &Grant,
        now: DateTime<Utc>,
        refresh: Option<(String, RefreshRecord)>,
        device_secret: Option<String>,
    ) -> Self {
        let device_record = device_secret.as_ref().and_then(|_| {
            Some(DeviceSecretRecord {
                client_id: grant.client_id.clone(),
                user_id: grant.subject.as_ref()?.user_id.clone(),
                scopes: grant.scopes.clone(),
                issued_at: now,
                auth_time: grant
                    .auth_time
                    .unwrap_or_else(|| grant.evaluated_at.timestamp()),
                acr: grant.acr.clone(),
            })
        });
        ResponseParts {
            plan,
            token_type: if grant.dpop.is_some() && plan.access {
                "DPoP"
            } else {
                "Bearer"
            },
            scope: grant.scopes.join(" "),
            refresh,
            device_secret,
            device_record,
            dpop_jti: grant.dpop.as_ref().map(|d| d.jti.clone()),
        }
    }

    fn finish(
        self,
        access_lifetime: i64,
        access_token: Option<String>,
        id_token: Option<String>,
    ) -> TokenResponse {
        let (refresh_token, refresh_record) = match self.refresh {
            Some((handle, record)) => (Some(handle), Some(record)),
            None => (None, None),
        };
        TokenResponse {
            token_type: self.token_type,
            expires_in: self.plan.access.then_some(access_lifetime),
            scope: self.scope,
            access_token,
            id_token,
            refresh_token,
            refresh_record,
            device_secret: self.device_secret,
            device_record: self.device_record,
            dpop_jti: self.dpop_jti,
        }
    }
}

impl<'s> Minter<'s> {
    /// Mints the tokens of `grant` in one go (no hook call: as when the hook doesn't answer).
    /// See [`AuthorizationServer::mint`](crate::AuthorizationServer::mint).
    pub(crate) fn mint(
        &self,
        grant: &Grant,
        code: Option<&str>,
        keys: &KeySet,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<TokenResponse, OAuthError> {
        mint(self, grant, code, keys, now, rng)
    }

    /// Evaluates the claims of `grant`'s tokens and stops before signing (a rule with a token
    /// inline hook). See [`AuthorizationServer::prepare`](crate::AuthorizationServer::prepare).
    pub(crate) fn prepare(
        self,
        grant: &Grant,
        code: Option<&str>,
        now: DateTime<Utc>,
        rng: &mut impl CryptoRng,
    ) -> Result<Prepared<'s>, OAuthError> {
        prepare(self, grant, code, now, rng)
    }

    /// The `/userinfo` claims of `grant`. See
    /// [`AuthorizationServer::userinfo`](crate::AuthorizationServer::userinfo).
    pub(crate) fn userinfo(&self, grant: &Grant) -> Result<Map<String, Value>, OAuthError> {
        userinfo(self.claims, grant)
    }
}

fn mint(
    setup: &Minter<'_>,
    grant: &Grant,
    code: Option<&str>,
    keys: &KeySet,
    now: DateTime<Utc>,
    rng: &mut impl CryptoRng,
) -> Result<TokenResponse, OAuthError> {
    let b = Basis::new(setup.config, grant, now, rng)?;
    let signer = keys.signer();
    let mut eval = Evaluation::new(grant);

    // One payload buffer and one list of claim names serve both tokens.
    let mut payload = Vec::with_capacity(1024);
    let mut names = Vec::with_capacity(32);
    let mut access_token = None;
    if b.plan.access {
        let mut ser = serde_json::Serializer::new(&mut payload);
        let mut at = PayloadWriter::new(&mut ser, names, OAuthErrorId::AccessTokenNotGenerated)?;
        access_claims(&mut at, setup.claims, &mut eval, setup.config, &b)?;
        names = at.finish()?;
        access_token = Some(seal_access(setup, signer, &payload, rng)?);
    }

    let mut id_token = None;
    if b.plan.id {
        let e = OAuthErrorId::IdTokenNotGenerated;
        let hashes = Hashes::new(
            signer.algorithm(),
            access_token.as_deref(),
            code,
            b.device_secret.as_deref(),
        );
        payload.clear();
        let mut ser = serde_json::Serializer::new(&mut payload);
        let mut id = PayloadWriter::new(&mut ser, names, e)?;
        id_claims(&mut id, setup.claims, &mut eval, &b, Some(&hashes))?;
        id.finish()?;
        let token = signer
            .sign_prepared(false, &payload)
            .map_err(|err| OAuthError::new(e).with_cause(err.to_string()))?;
        id_token = Some(token);
    }
    let lifetime = b.access_lifetime;
    let parts = ResponseParts::new(b.plan, grant, now, b.refresh, b.device_secret);
    Ok(parts.finish(lifetime, access_token, id_token))
}

/// What became of a hook's answer ([`Prepared::apply_hook`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookReport {
    /// Whether the answer was applied (the tokens carry its changes).
    pub applied: bool,
    /// How many operations were applied.
    pub operations: usize,
    /// Why the answer was ignored (the tokens are issued unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The refusal itself, when ignored.
    #[serde(skip)]
    pub refusal: Option<HookRefusal>,
}

/// Tokens evaluated and ready to sign, before a token inline hook sees them.
///
/// Made by [`AuthorizationServer::prepare`](crate::AuthorizationServer::prepare). When the
/// grant's rule names a hook, the host POSTs [`Prepared::hook_request`] to it and hands a `200`
/// answer's body to [`Prepared::apply_hook`]; then (or without an answer: Okta issues the
/// tokens unchanged) [`Prepared::sign`] signs, encrypts and returns the response. `prepare`
/// followed by `sign` gives the same bytes as
/// [`AuthorizationServer::mint`](crate::AuthorizationServer::mint) with the same inputs.
#[derive(Debug, Clone)]
pub struct Prepared<'s> {
    setup: Minter<'s>,
    iat: i64,
    parts: ResponseParts,
    tokens: HookTokens,
    code: Option<String>,
    hook_id: Option<String>,
    hook: Option<HookInput>,
    report: Option<HookReport>,
}

fn prepare<'s>(
    setup: Minter<'s>,
    grant: &Grant,
    code: Option<&str>,
    now: DateTime<Utc>,
    rng: &mut impl CryptoRng,
) -> Result<Prepared<'s>, OAuthError> {
    let b = Basis::new(setup.config, grant, now, rng)?;
    let mut eval = Evaluation::new(grant);
    let mut access = None;
    if b.plan.access {
        let mut w = MapWriter {
            map: Map::new(),
            error: OAuthErrorId::AccessTokenNotGenerated,
        };
        access_claims(&mut w, setup.claims, &mut eval, setup.config, &b)?;
        access = Some(HookToken {
            claims: w.map,
            lifetime: b.access_lifetime,
        });
    }
    let mut identity = None;
    if b.plan.id {
        let mut w = MapWriter {
            map: Map::new(),
            error: OAuthErrorId::IdTokenNotGenerated,
        };
        id_claims(&mut w, setup.claims, &mut eval, &b, None)?;
        identity = Some(HookToken {
            claims: w.map,
            lifetime: ID_TOKEN_LIFETIME_SECONDS,
        });
    }
    let hook = b
        .event_id
        .as_deref()
        .map(|event_id| hook_input(setup.config, grant, event_id, now));
    Ok(Prepared {
        setup,
        iat: b.iat,
        parts: ResponseParts::new(b.plan, grant, now, b.refresh, b.device_secret),
        tokens: HookTokens { identity, access },
        code: code.map(str::to_owned),
        hook_id: grant.inline_hook.clone(),
        hook,
        report: None,
    })
}

/// The endpoint a grant's tokens come from: `/v1/authorize` for the implicit flow, else
/// `/v1/token`.
fn endpoint(issuer: &str, grant: &Grant) -> String {
    let path = if grant.grant_type == crate::config::GrantType::Implicit {
        "authorize"
    } else {
        "token"
    };
    format!("{issuer}/v1/{path}")
}

/// The hook request's inputs other than the tokens, from the grant.
fn hook_input(
    config: &ServerConfig,
    grant: &Grant,
    event_id: &str,
    now: DateTime<Utc>,
) -> HookInput {
    let issuer = grant.issuer.clone().unwrap_or_else(|| {
        config
            .authorization_server
            .issuer
            .clone()
            .unwrap_or_default()
    });
    let source = endpoint(&issuer, grant);
    let implicit = grant.grant_type == crate::config::GrantType::Implicit;
    let text = |root: &str, member: &str| {
        root_member(grant, root, member)
            .and_then(el::Value::as_str)
            .map(str::to_owned)
    };
    let amr: Vec<String> = match (&grant.amr, root_member(grant, "session", "amr")) {
        (Some(amr), _) => amr.clone(),
        (None, Some(el::Value::List(l))) => l
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec!["pwd".to_owned()],
    };
    // The session, when the request describes one (its `session.id`).
    let session_id = text("session", "id");
    let session = grant
        .subject
        .as_ref()
        .zip(session_id)
        .map(|(s, id)| HookSession {
            id,
            user_id: s.user_id.clone(),
            login: s.login.clone().unwrap_or_default(),
            created_at: text("session", "createdAt").unwrap_or_default(),
            expires_at: text("session", "expiresAt").unwrap_or_default(),
            status: text("session", "status").unwrap_or_else(|| "ACTIVE".to_owned()),
            last_password_verification: text("session", "lastPasswordVerification"),
            mfa_active: amr.iter().any(|a| a == "mfa"),
            amr,
            idp: grant.idp.as_ref().and_then(|idp| match idp {
                Value::String(id) => Some(HookIdp {
                    id: id.clone(),
                    idp_type: "OKTA".into(),
                }),
                Value::Object(o) => Some(HookIdp {
                    id: o.get("id")?.as_str()?.to_owned(),
                    idp_type: o
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("OKTA")
                        .to_owned(),
                }),
                _ => None,
            }),
        });
    let user = grant.subject.as_ref().map(|s| {
        let u = grant.context.user.as_deref();
        HookUser {
            id: s.user_id.clone(),
            password_changed: u
                .and_then(|u| u.property("passwordChanged").as_str().map(str::to_owned)),
            profile: u
                .and_then(el::UserView::profile_json)
                .cloned()
                .unwrap_or_default(),
        }
    });
    let org_url = issuer
        .find("/oauth2")
        .map(|i| issuer[..i].to_owned())
        .filter(|o| !o.is_empty());
    HookInput {
        event_id: event_id.to_owned(),
        event_time: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        org_url,
        request: HookHttpRequest {
            id: event_id.to_owned(),
            method: if implicit { "GET" } else { "POST" }.into(),
            url: source.clone(),
            ip_address: None,
        },
        protocol: HookProtocol {
            scope: Some(grant.scopes.join(" ")),
            response_type: grant.response_type.as_ref().map(ToString::to_string),
            client_id: grant.client_id.clone(),
            issuer,
            client_name: text("app", "label").filter(|l| *l != grant.client_id),
            ..HookProtocol::default()
        },
        source,
        session,
        user,
        policy_id: grant.policy.id.clone().unwrap_or_default(),
        rule_id: grant.rule.id.clone().unwrap_or_default(),
        tokens: HookTokens::default(),
        scopes: grant
            .scopes
            .iter()
            .map(|name| HookScope {
                name: name.clone(),
                id: config
                    .scopes
                    .iter()
                    .find(|s| s.name == *name)
                    .and_then(|s| s.id.clone())
                    .unwrap_or_else(|| name.clone()),
            })
            .collect(),
    }
}

impl<'s> Prepared<'s> {
    /// The claims of the access token about to be signed (none when the grant mints none).
    pub fn access_claims(&self) -> Option<&Map<String, Value>> {
        self.tokens.access.as_ref().map(|t| &t.claims)
    }

    /// The claims of the ID token about to be signed, without `at_hash`, `c_hash` and
    /// `ds_hash` (they hash what signing produces).
    pub fn id_claims(&self) -> Option<&Map<String, Value>> {
        self.tokens.identity.as_ref().map(|t| &t.claims)
    }

    /// The token lifetimes in seconds: access token, ID token.
    pub fn lifetimes(&self) -> (Option<i64>, Option<i64>) {
        (
            self.tokens.access.as_ref().map(|t| t.lifetime),
            self.tokens.identity.as_ref().map(|t| t.lifetime),
        )
    }

    /// The id of the token inline hook the grant's rule names, if one.
    pub fn hook_id(&self) -> Option<&str> {
        self.hook_id.as_deref()
    }

    /// What goes into the hook request besides the tokens (event id and time, the HTTP
    /// request, the protocol, session, user, policy and rule), for a host that knows more of
    /// them (its request id, the client's IP address, the `state`, …) to fill in. `None`
    /// when the rule names no hook.
    pub fn hook_input_mut(&mut self) -> Option<&mut HookInput> {
        self.hook.as_mut()
    }

    /// The body to POST to the rule's token inline hook (Okta's
    /// `com.okta.oauth2.tokens.transform`, see [`hook::request_body`](crate::hook::request_body)),
    /// built from the unsigned claims; `None` when the rule names no hook.
    pub fn hook_request(&self) -> Option<Value> {
        let input = self.hook.as_ref()?;
        let mut input = input.clone();
        input.tokens = self.tokens.clone();
        Some(crate::hook::request_body(&input))
    }

    /// Applies the body of the hook's `200` answer ([`hook::apply_response`](crate::hook::apply_response)
    /// under the server's [`HookLimits`]): patched claims and lifetimes (`exp` = `iat` + the
    /// new lifetime), or — for an answer that can't be applied — the tokens unchanged and a
    /// report that says why. An answer with an `error` object fails the request (`Err`:
    /// `server_error` with its `errorSummary`). Call it once, with the one answer.
    pub fn apply_hook(&mut self, response: &[u8]) -> Result<&HookReport, OAuthError> {
        self.apply_hook_with(response, &HookLimits::default())
    }

    /// [`Prepared::apply_hook`] under other [`HookLimits`].
    pub fn apply_hook_with(
        &mut self,
        response: &[u8],
        limits: &HookLimits,
    ) -> Result<&HookReport, OAuthError> {
        let report = match apply_response(&self.tokens, response, limits) {
            HookOutcome::Applied { tokens, operations } => {
                self.tokens = tokens;
                let iat = self.iat;
                for t in [&mut self.tokens.access, &mut self.tokens.identity]
                    .into_iter()
                    .flatten()
                {
                    if let Some(exp) = t.claims.get_mut("exp") {
                        *exp = Value::from(iat + t.lifetime);
                    }
                }
                HookReport {
                    applied: true,
                    operations,
                    reason: None,
                    refusal: None,
                }
            }
            HookOutcome::Ignored(refusal) => HookReport {
                applied: false,
                operations: 0,
                reason: Some(refusal.to_string()),
                refusal: Some(refusal),
            },
            HookOutcome::Error(e) => return Err(e),
        };
        Ok(self.report.insert(report))
    }

    /// What became of the hook's answer, once one was applied.
    pub fn hook_report(&self) -> Option<&HookReport> {
        self.report.as_ref()
    }

    /// Signs the tokens with the key set's active key — the access token encrypted when the
    /// server is configured to, the ID token's `at_hash` over the access token as returned —
    /// and returns the token response.
    pub fn sign(
        self,
        keys: &KeySet,
        rng: &mut impl CryptoRng,
    ) -> Result<TokenResponse, OAuthError> {
        let signer = keys.signer();
        let mut access_token = None;
        let mut access_lifetime = 0;
        if let Some(t) = &self.tokens.access {
            let payload = serde_json::to_vec(&t.claims).map_err(|e| {
                OAuthError::new(OAuthErrorId::AccessTokenNotGenerated).with_cause(e.to_string())
            })?;
            access_token = Some(seal_access(&self.setup, signer, &payload, rng)?);
            access_lifetime = t.lifetime;
        }
        let mut id_token = None;
        if let Some(t) = self.tokens.identity {
            let e = OAuthErrorId::IdTokenNotGenerated;
            let hashes = Hashes::new(
                signer.algorithm(),
                access_token.as_deref(),
                self.code.as_deref(),
                self.parts.device_secret.as_deref(),
            );
            let mut claims = t.claims;
            let at = claims
                .keys()
                .position(|k| k == "auth_time")
                .map_or(claims.len(), |i| i + 1);
            for (i, (k, v)) in hashes.entries().enumerate() {
                claims.shift_insert(at + i, k.to_owned(), Value::from(v));
            }
            let payload = serde_json::to_vec(&claims)
                .map_err(|err| OAuthError::new(e).with_cause(err.to_string()))?;
            id_token = Some(
                signer
                    .sign_prepared(false, &payload)
                    .map_err(|err| OAuthError::new(e).with_cause(err.to_string()))?,
            );
        }
        Ok(self.parts.finish(access_lifetime, access_token, id_token))
    }
}

/// The userinfo claims of a grant: `sub`, every scope-dependent standard claim, and every
/// ID-token claim whose scope condition matches.
fn userinfo(claims: &ClaimSet, grant: &Grant) -> Result<Map<String, Value>, OAuthError> {
    let scopes = OidcScopes::from_granted(grant.scopes.iter().map(String::as_str));
    let Some(subject) = &grant.subject else {
        return Err(
            OAuthError::new(OAuthErrorId::InsufficientScope).with_cause("the grant has no user")
        );
    };
    if scopes == OidcScopes::default() {
        return Err(OAuthError::new(OAuthErrorId::InsufficientScope));
    }
    let mut eval = Evaluation::new(grant);
    let std = standard(grant, true);
    let mut out = Map::new();
    out.insert("sub".into(), Value::from(subject.user_id.as_str()));
    for (k, v) in std.early.into_iter().chain(std.late) {
        out.insert(k.into(), v.into_owned());
    }
    eval.custom(&claims.identity, false, &mut out)?;
    Ok(out)
}
