//! Minting: a [`Grant`] becomes signed tokens — claim assembly in Okta's order, the access
//! token, the (thin or full) ID token, the refresh token and its record — and the userinfo
//! claim set.
//!
//! Claims are compiled once, when the server is compiled; minting
//! converts the grant's context to expression values once, evaluates the claims that apply,
//! serializes each token once and signs those bytes with the key set's prepared signer.

use crate::claims::{GroupFilter, OidcScopes, StandardClaims, standard_claims};
use crate::config::{ClaimType, Diagnostic, ServerConfig, Status, ValueType};
use crate::el;
use crate::oauth::{OAuthError, OAuthErrorId};
use crate::policy::Grant;
use crate::request::ResponseType;
use crate::token::{JtiKind, KeySet, RefreshRecord, left_half_hash_stack, new_jti_stack};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::CryptoRng;
use serde::Serialize;
use serde_json::{Map, Value};

/// The system `sub` claim of access tokens when the configuration doesn't edit it.
pub(crate) const DEFAULT_SUB_EXPRESSION: &str =
    "(appuser != null) ? appuser.userName : app.clientId";

/// ID-token lifetime: 60 minutes, not configurable.
pub const ID_TOKEN_LIFETIME_SECONDS: i64 = 3600;

/// How a claim's value is computed, prepared at compile time.
#[derive(Debug, Clone)]
enum ClaimValue {
    Expression(el::Program),
    Groups(GroupFilter),
}

#[derive(Debug, Clone)]
struct CompiledClaim {
    name: String,
    value: ClaimValue,
    /// Scope condition; empty = any scope.
    scopes: Vec<String>,
    always_include: bool,
    system: bool,
}

impl CompiledClaim {
    fn applies(&self, granted: &[String]) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| granted.contains(s))
    }
}

/// The claims of a server, compiled: the access token's `sub`, its custom claims and the ID
/// token's, each list in configuration order, inactive claims left out.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSet {
    /// Always present once compilation succeeded.
    sub: Option<CompiledClaim>,
    access: Vec<CompiledClaim>,
    identity: Vec<CompiledClaim>,
}

/// Names of the OIDC standard claims an ID token may carry from the user profile.
const STANDARD_ID_CLAIMS: [&str; 14] = [
    "name",
    "email",
    "email_verified",
    "locale",
    "preferred_username",
    "given_name",
    "middle_name",
    "family_name",
    "nickname",
    "profile",
    "zoneinfo",
    "updated_at",
    "address",
    "phone_number",
];

impl ClaimSet {
    /// Compiles every claim of `config` (inactive ones too, so that their errors show), adding
    /// a located diagnostic for each expression that doesn't compile. Claims the validator
    /// already refused (empty, too long, bad regex) are skipped.
    pub(crate) fn compile(
        config: &ServerConfig,
        limits: &el::Limits,
        diags: &mut Vec<Diagnostic>,
    ) -> ClaimSet {
        let mut access = Vec::new();
        let mut identity = Vec::new();
        let mut sub = None;
        for (i, c) in config.claims.iter().enumerate() {
            let path = format!("/claims/{i}/value");
            let value = match (c.value_type, c.group_filter_type) {
                (Some(ValueType::Expression | ValueType::System), _) => {
                    if c.value.trim().is_empty() || c.value.chars().count() > limits.max_length {
                        continue;
                    }
                    match el::compile(&c.value, limits) {
                        Ok(p) => ClaimValue::Expression(p),
                        Err(e) => {
                            let mut d = Diagnostic::error(
                                "claim.value.expression",
                                path,
                                format!(
                                    "the expression of the claim {:?} doesn't compile: {}",
                                    c.name, e.message
                                ),
                            )
                            .with_span(e.span);
                            if let Some(h) = e.hint {
                                d = d.with_hint(h);
                            }
                            diags.push(d);
                            continue;
                        }
                    }
                }
                (Some(ValueType::Groups), Some(_))
                    if c.value.chars().count() > limits.max_length =>
                {
                    continue;
                }
                (Some(ValueType::Groups), Some(kind)) => match GroupFilter::new(kind, &c.value) {
                    Ok(f) => ClaimValue::Groups(f),
                    Err(_) => continue,
                },
                _ => continue,
            };
            let (Some(ty), Status::Active) = (c.claim_type, c.status) else {
                continue;
            };
            let compiled = CompiledClaim {
                name: c.name.clone(),
                value,
                scopes: c.conditions.scopes.clone(),
                always_include: c.always_include(),
                system: c.system || c.value_type == Some(ValueType::System),
            };
            match ty {
                ClaimType::Resource if c.name == "sub" => {
                    if sub.is_none() {
                        sub = Some(CompiledClaim {
                            system: true,
                            ..compiled
                        });
                    }
                }
                ClaimType::Resource => access.push(compiled),
                ClaimType::Identity => {
                    if STANDARD_ID_CLAIMS.contains(&c.name.as_str()) {
                        diags.push(Diagnostic::warning(
                            "claim.name.standard",
                            format!("/claims/{i}/name"),
                            format!(
                                "{:?} is an OIDC standard claim; when its scope is granted the value from the user profile is used instead",
                                c.name
                            ),
                        ));
                    }
                    identity.push(compiled)
                }
            }
        }
        let sub = match sub {
            Some(s) => Some(s),
            None => match el::compile(DEFAULT_SUB_EXPRESSION, &el::Limits::default()) {
                Ok(p) => Some(CompiledClaim {
                    name: "sub".into(),
                    value: ClaimValue::Expression(p),
                    scopes: Vec::new(),
                    always_include: true,
                    system: true,
                }),
                Err(e) => {
                    // Only reachable if the engine regressed; reported like any other problem.
                    diags.push(Diagnostic::error(
                        "claim.sub.default",
                        "/claims",
                        format!("the default sub claim expression doesn't compile: {e}"),
                    ));
                    None
                }
            },
        };
        ClaimSet {
            sub,
            access,
            identity,
        }
    }
}

/// What a successful mint returns: the tokens and the RFC 6749 §5.1 response fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenResponse {
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access-token lifetime in seconds (absent when no access token is issued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The signed access token.
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
}

impl TokenResponse {
    /// The token-endpoint response body (RFC 6749 §5.1): `access_token`, `token_type`,
    /// `expires_in`, `scope`, and `refresh_token` / `id_token` when issued.
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
        refresh: has("offline_access") && user && issues_refresh(&grant.grant_type),
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
                    Err(n) => Err(OAuthError::new(OAuthErrorId::TooManyGroupsInGroupsClaim)
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

/// Mints the tokens of `grant`. See [`AuthorizationServer::mint`](crate::AuthorizationServer::mint).
#[allow(clippy::too_many_arguments)]
pub(crate) fn mint(
    claims: &ClaimSet,
    config: &ServerConfig,
    at_jwt_typ: bool,
    grant: &Grant,
    code: Option<&str>,
    keys: &KeySet,
    now: DateTime<Utc>,
    rng: &mut impl CryptoRng,
) -> Result<TokenResponse, OAuthError> {
    let plan = plan(grant)?;
    let server = &config.authorization_server;
    let issuer = server.issuer.as_deref().unwrap_or_default();
    let signer = keys.signer();
    let iat = now.timestamp();
    let mut eval = Evaluation::new(grant);
    let user_id = grant.subject.as_ref().map(|s| s.user_id.as_str());
    let auth_time = grant
        .auth_time
        .unwrap_or_else(|| grant.evaluated_at.timestamp());
    let access_lifetime = grant.lifetimes.access_token_lifetime_minutes * 60;

    // One payload buffer and one list of claim names serve both tokens.
    let mut payload = Vec::with_capacity(1024);
    let mut names = Vec::with_capacity(32);
    let mut access_token = None;
    if plan.access {
        let e = OAuthErrorId::AccessTokenNotGenerated;
        let mut ser = serde_json::Serializer::new(&mut payload);
        let mut at = PayloadWriter::new(&mut ser, names, e)?;
        at.claim("ver", &1)?;
        at.claim("jti", &new_jti_stack(JtiKind::Access, rng))?;
        at.claim("iss", issuer)?;
        at.claim("aud", server.audiences.first().map_or("", String::as_str))?;
        at.claim("iat", &iat)?;
        at.claim("exp", &(iat + access_lifetime))?;
        at.claim("cid", &grant.client_id)?;
        if let Some(uid) = user_id {
            at.claim("uid", uid)?;
        }
        at.claim("scp", &grant.scopes)?;
        if user_id.is_some() {
            at.claim("auth_time", &auth_time)?;
        }
        let sub = match &claims.sub {
            Some(c) => eval.value(c)?,
            None => None,
        };
        match sub {
            Some(v) => at.claim("sub", &v)?,
            None => {
                return Err(OAuthError::with_arg(
                    OAuthErrorId::SystemClaimEvaluationFailure,
                    "sub",
                )
                .with_cause("the sub expression evaluated to null"));
            }
        }
        eval.custom(&claims.access, false, &mut at)?;
        names = at.finish()?;
        let token = signer
            .sign_prepared(at_jwt_typ, &payload)
            .map_err(|err| OAuthError::new(e).with_cause(err.to_string()))?;
        access_token = Some(token);
    }

    let mut id_token = None;
    if plan.id {
        let e = OAuthErrorId::IdTokenNotGenerated;
        let user_id = user_id.unwrap_or_default();
        let std = standard(grant, plan.full_id);
        payload.clear();
        let mut ser = serde_json::Serializer::new(&mut payload);
        let mut id = PayloadWriter::new(&mut ser, names, e)?;
        id.claim("sub", user_id)?;
        for (k, v) in &std.early {
            id.claim(k, v)?;
        }
        id.claim("ver", &1)?;
        id.claim("iss", issuer)?;
        id.claim("aud", &grant.client_id)?;
        id.claim("iat", &iat)?;
        id.claim("exp", &(iat + ID_TOKEN_LIFETIME_SECONDS))?;
        id.claim("jti", &new_jti_stack(JtiKind::Id, rng))?;
        match root_member(grant, "session", "amr") {
            Some(amr @ el::Value::List(_)) => id.claim("amr", &amr.to_json())?,
            _ => id.claim("amr", &["pwd"])?,
        }
        match &grant.idp {
            Some(idp) => id.claim("idp", idp)?,
            None => {
                if let Some(org_id) = root_member(grant, "org", "id") {
                    id.claim("idp", &org_id.to_json())?;
                }
            }
        }
        if let Some(n) = &grant.nonce {
            id.claim("nonce", n)?;
        }
        for (k, v) in &std.late {
            id.claim(k, v)?;
        }
        id.claim("auth_time", &auth_time)?;
        if let Some(at) = &access_token {
            id.claim(
                "at_hash",
                &left_half_hash_stack(signer.algorithm(), at.as_bytes()),
            )?;
        }
        if let Some(code) = code {
            id.claim(
                "c_hash",
                &left_half_hash_stack(signer.algorithm(), code.as_bytes()),
            )?;
        }
        eval.custom(&claims.identity, !plan.full_id, &mut id)?;
        id.finish()?;
        let token = signer
            .sign_prepared(false, &payload)
            .map_err(|err| OAuthError::new(e).with_cause(err.to_string()))?;
        id_token = Some(token);
    }

    let (refresh_token, refresh_record) = if plan.refresh {
        (Some(b64_random(rng)), Some(grant.refresh_record(now)))
    } else {
        (None, None)
    };

    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: plan.access.then_some(access_lifetime),
        scope: grant.scopes.join(" "),
        access_token,
        id_token,
        refresh_token,
        refresh_record,
    })
}

/// The userinfo claims of a grant: `sub`, every scope-dependent standard claim, and every
/// ID-token claim whose scope condition matches.
pub(crate) fn userinfo(claims: &ClaimSet, grant: &Grant) -> Result<Map<String, Value>, OAuthError> {
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
