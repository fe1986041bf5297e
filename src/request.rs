//! Token requests: the client, the grant, the requested scopes and the subject (the user with
//! their profile, groups, app user and linked objects), plus the clock.
//!
//! The JSON shape is the REQUEST file of `examples/preview`:
//!
//! ```
//! use tokenmint::TokenRequest;
//!
//! let req: TokenRequest = serde_json::from_str(r#"{
//!   "client": {"clientId": "0oa1", "name": "Orders"},
//!   "grantType": "authorization_code", "responseType": "code",
//!   "scopes": ["openid", "orders:read"],
//!   "user": {"id": "00u1", "profile": {"login": "ann@example.com"},
//!            "groups": [{"id": "00g1", "name": "Staff"}]},
//!   "appuser": {"userName": "ann@example.com"},
//!   "now": "2026-01-01T00:00:00Z"}"#).unwrap();
//! assert!(req.response_type.as_ref().unwrap().contains("code"));
//! assert_eq!(req.context()["app"]["clientId"], "0oa1");
//! ```

use crate::config::GrantType;
use crate::el;
pub use crate::el::model::{Group, User};
use crate::token::RefreshRecord;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// A JSON object.
pub(crate) type JsonMap = Map<String, Value>;

/// A token request, as the token endpoint (or `/authorize`) sees it after authenticating the
/// client and the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    /// The requesting client application.
    pub client: Client,
    /// The grant type (`grant_type`), by its wire string.
    pub grant_type: GrantType,
    /// The `response_type` of an `/authorize` request, e.g. `code` or `id_token token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// The requested scopes. Absent = no `scope` parameter (default scopes apply); an empty
    /// list is a `scope` parameter naming nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The signed-in user, if the grant has one. Shared: a [`Grant`](crate::Grant) evaluated
    /// from the request reads it in place instead of copying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Arc<User>>,
    /// The user's app-user profile for this client; absent or null = not assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appuser: Option<JsonMap>,
    /// The org (`name`, `subDomain`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<JsonMap>,
    /// The session (`amr`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<JsonMap>,
    /// The `nonce` of the authorize request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user authenticated, in seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Authentication methods (`pwd`, `mfa`, …); also `session.amr` in expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The identity provider the user came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<Value>,
    /// The user's profile at the identity provider (`idpuser` in expressions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idpuser: Option<JsonMap>,
    /// Directory users by directory (`active_directory`, `workday`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_users: Option<JsonMap>,
    /// The stored record of the refresh token being redeemed (`refresh_token` grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshRecord>,
    /// The `prompt` of the authorize request (`none`, `consent`, `login`), for the consent
    /// decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Prompt>,
    /// The scopes the user already consented to for this client (the host stores consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_granted: Option<Vec<String>>,
    /// The host the request came to (its `Host` header, e.g. `login.example.com`): with
    /// `issuerMode: DYNAMIC` the tokens' issuer is the configured one on this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The authentication context class the user was authenticated at (`acr`, e.g.
    /// `urn:okta:loa:2fa:any` after a step-up with `acr_values`): both tokens carry it. A
    /// refresh takes the original grant's `acr` from its record instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The request's DPoP proof (RFC 9449) with the endpoint's method and URL: checked before
    /// the policies, it binds the access token to the proof's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop: Option<DpopRequest>,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

/// The DPoP part of a token request: the value of its `DPoP` header and what the proof must
/// match (RFC 9449 §4.3).
///
/// ```
/// use tokenmint::DpopRequest;
///
/// let d: DpopRequest = serde_json::from_str(r#"{"proof": "eyJ0eXAiOi...",
///     "method": "POST", "url": "https://example.okta.com/oauth2/default/v1/token"}"#).unwrap();
/// assert!(d.nonces.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DpopRequest {
    /// The compact DPoP proof JWT (the one `DPoP` header; two are the host's to refuse).
    pub proof: String,
    /// The HTTP method of the request (`POST` at the token endpoint).
    pub method: String,
    /// The endpoint's URL as the host serves it.
    pub url: String,
    /// The server nonces the host currently accepts; empty = the host uses none (a proof's
    /// `nonce` is not checked). With some, a proof without a current one is `use_dpop_nonce`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nonces: Vec<String>,
    /// How old (seconds before the request's `now`) the proof's `iat` may be; 300 by default.
    /// The host keeps the `jti`s it has seen for this window plus `maxFuture`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
    /// How far ahead of `now` the proof's `iat` may be (clock skew); 60 seconds by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_future: Option<i64>,
}

/// The requesting client application.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Client {
    /// The `client_id`.
    pub client_id: String,
    /// The application's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The application's profile (`app.profile` in expressions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<JsonMap>,
    /// The grant types the application may use; absent = any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<GrantType>>,
    /// The application's `consent_method`; absent = `TRUSTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_method: Option<ConsentMethod>,
    /// The application's `application_type` (`web`, `native`, `browser`, `service`). A
    /// `browser` application (a single-page app) may ask the token endpoint for
    /// `offline_access` only when it has the `refresh_token` grant type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
}

impl Client {
    /// Whether the application may use `grant`.
    pub fn allows(&self, grant: &GrantType) -> bool {
        self.grant_types.as_ref().is_none_or(|g| g.contains(grant))
    }

    /// Whether the application is browser-based (`application_type: browser`).
    pub fn is_browser(&self) -> bool {
        self.application_type.as_deref() == Some("browser")
    }
}

/// The `prompt` parameter of an authorize request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prompt {
    /// `none`: no interaction; anything that needs the user is an error.
    None,
    /// `consent`: ask for consent even when the user gave it before.
    Consent,
    /// `login`: authenticate again (consent is decided as without `prompt`).
    Login,
}

impl std::fmt::Display for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Prompt::None => "none",
            Prompt::Consent => "consent",
            Prompt::Login => "login",
        })
    }
}

/// An application's `consent_method` (`settings.oauthClient.consent_method` in Okta's Apps
/// API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsentMethod {
    /// The user is asked for the scopes that need consent.
    Required,
    /// The application is trusted: the user is asked only with `prompt=consent`.
    #[default]
    Trusted,
}

impl std::fmt::Display for ConsentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConsentMethod::Required => "REQUIRED",
            ConsentMethod::Trusted => "TRUSTED",
        })
    }
}

/// A `response_type`: a set of space-separated values (`code`, `token`, `id_token`), in the
/// order given, without duplicates. JSON: the string, e.g. `"id_token token"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseType(Vec<String>);

impl ResponseType {
    /// Parses a space-separated list.
    pub fn parse(s: &str) -> ResponseType {
        let mut out: Vec<String> = Vec::new();
        for v in s.split_ascii_whitespace() {
            if !out.iter().any(|x| x == v) {
                out.push(v.to_owned());
            }
        }
        ResponseType(out)
    }

    /// Whether the set contains `value`.
    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|x| x == value)
    }

    /// The values.
    pub fn values(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for ResponseType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl Serialize for ResponseType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ResponseType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ResponseType::parse(&s))
    }
}

/// A token request that could not be read from JSON ([`TokenRequest::from_json`]).
///
/// Displays as `at PATH: MESSAGE`, or the message alone when the problem is not inside a
/// member (malformed JSON, a missing top-level member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequestError {
    path: Option<String>,
    message: String,
    line: usize,
    column: usize,
}

impl TokenRequestError {
    /// The path of the offending member (`client.clientId`, `scopes[2]`), if inside one.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// What is wrong, with the line and column of the JSON reader.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The line (1-based) where reading stopped; 0 when the text was read whole.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column (1-based) where reading stopped; 0 when the text was read whole.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl std::fmt::Display for TokenRequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(path) => write!(f, "at {path}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TokenRequestError {}

impl TokenRequest {
    /// Reads a request from JSON; the error names the offending path.
    ///
    /// ```
    /// use tokenmint::TokenRequest;
    ///
    /// let err = TokenRequest::from_json(r#"{"client": {"clientId": 7}}"#).unwrap_err();
    /// assert_eq!(err.path(), Some("client.clientId"));
    /// assert!(err.to_string().starts_with("at client.clientId: invalid type"));
    /// ```
    pub fn from_json(text: &str) -> Result<TokenRequest, TokenRequestError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            TokenRequestError {
                path: (path != "." && !path.is_empty()).then_some(path),
                line: inner.line(),
                column: inner.column(),
                message: inner.to_string(),
            }
        })
    }

    /// The expression-evaluation context of this request (the shape the expression engine's
    /// `Context::from_json` reads): `user`, `appuser`, `app`, `org`, `session`, `idpuser`,
    /// `directoryUsers`, `now`. `access.scope` is added by [`TokenRequest::context_with_scopes`].
    /// `user` and `appuser` are `null` when the request has none; the other parts are omitted
    /// when absent.
    ///
    /// `app` is derived from the client: `id` and `clientId` are the client id, `name` is
    /// `oidc_client` (Okta's app name for OIDC applications), `label` is the client's name (or
    /// its id), `profile` its profile.
    pub fn context(&self) -> Value {
        let mut ctx = JsonMap::new();
        ctx.insert(
            "user".into(),
            self.user.as_deref().map_or(Value::Null, user_json),
        );
        ctx.insert(
            "appuser".into(),
            self.appuser.clone().map_or(Value::Null, Value::Object),
        );
        let c = &self.client;
        ctx.insert(
            "app".into(),
            json!({
                "id": c.client_id,
                "clientId": c.client_id,
                "name": "oidc_client",
                "label": c.name.clone().unwrap_or_else(|| c.client_id.clone()),
                "profile": Value::Object(c.profile.clone().unwrap_or_default()),
            }),
        );
        if let Some(org) = &self.org {
            ctx.insert("org".into(), Value::Object(org.clone()));
        }
        let mut session = self.session.clone().unwrap_or_default();
        if let Some(amr) = &self.amr
            && !session.contains_key("amr")
        {
            session.insert("amr".into(), json!(amr));
        }
        if !session.is_empty() {
            ctx.insert("session".into(), Value::Object(session));
        }
        if let Some(idpuser) = &self.idpuser {
            ctx.insert("idpuser".into(), Value::Object(idpuser.clone()));
        }
        if let Some(d) = &self.directory_users {
            ctx.insert("directoryUsers".into(), Value::Object(d.clone()));
        }
        ctx.insert(
            "now".into(),
            Value::String(self.now.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        Value::Object(ctx)
    }

    /// [`TokenRequest::context`] with `access.scope` set to the granted scopes.
    pub fn context_with_scopes(&self, scopes: &[String]) -> Value {
        let mut ctx = self.context();
        if let Value::Object(m) = &mut ctx {
            m.insert("access".into(), json!({ "scope": scopes }));
        }
        ctx
    }

    /// The evaluation context of [`TokenRequest::context_with_scopes`], built directly as
    /// engine values: equal to `el::Context::from_json(&self.context_with_scopes(scopes))`,
    /// without the JSON in between. The user is shared with the request, not copied, and its
    /// parts are converted when an expression first reads them.
    ///
    /// ```
    /// # use tokenmint::{el, TokenRequest};
    /// let req = TokenRequest::from_json(r#"{"client": {"clientId": "0oa1"},
    ///     "grantType": "client_credentials", "now": "2026-01-01T00:00:00Z"}"#).unwrap();
    /// let scopes = ["orders:read".to_owned()];
    /// let ctx = req.eval_context(&scopes);
    /// assert_eq!(ctx, el::Context::from_json(&req.context_with_scopes(&scopes)).unwrap());
    /// ```
    pub fn eval_context(&self, scopes: &[String]) -> el::Context {
        self.eval_context_with(scopes.iter().map(|s| el::Value::from(s.as_str())))
    }

    /// [`TokenRequest::eval_context`] with the scopes given as values (the policy engine
    /// shares the ones it made at load).
    pub(crate) fn eval_context_with(&self, scopes: impl Iterator<Item = el::Value>) -> el::Context {
        use el::KnownRoot as K;
        let map = |m: &JsonMap| el::Value::Map(Arc::new(el::map_from_json(m)));
        let mut ctx = el::Context::new();
        ctx.set_user(
            self.user
                .clone()
                .map(|u| Arc::new(el::UserView::from_request(u))),
        );
        ctx.set_known(
            K::AppUser,
            self.appuser.as_ref().map_or(el::Value::Null, map),
        );
        // `app` and `access` are built when an expression first reads them: few claims do.
        let c = &self.client;
        let (client_id, name) = (c.client_id.clone(), c.name.clone());
        let profile = c.profile.clone();
        ctx.set_deferred(K::App, move || {
            app_value(&client_id, name.as_deref(), profile.as_ref())
        });
        if let Some(org) = &self.org {
            ctx.set_known(K::Org, map(org));
        }
        let mut session = self
            .session
            .as_ref()
            .map(el::map_from_json)
            .unwrap_or_default();
        if let Some(amr) = &self.amr
            && !session.contains_key("amr")
        {
            let amr = amr.iter().map(|a| el::Value::from(a.as_str())).collect();
            session.insert(el::key("amr"), el::Value::List(Arc::new(amr)));
        }
        if !session.is_empty() {
            ctx.set_known(K::Session, el::Value::Map(Arc::new(session)));
        }
        if let Some(idpuser) = &self.idpuser {
            ctx.set_known(K::IdpUser, map(idpuser));
        }
        if let Some(d) = &self.directory_users {
            ctx.set_root("directoryUsers", &Value::Object(d.clone()));
        }
        ctx.set_now(self.now.trunc_subsecs(3));
        let scope: Vec<el::Value> = scopes.collect();
        ctx.set_deferred(K::Access, move || {
            let mut access = el::Map::with_capacity(1);
            access.insert(el::key("scope"), el::Value::List(Arc::new(scope.clone())));
            el::Value::Map(Arc::new(access))
        });
        ctx
    }
}

/// The `app` root: the client as an Okta app (see [`TokenRequest::context`]).
fn app_value(client_id: &str, name: Option<&str>, profile: Option<&JsonMap>) -> el::Value {
    let mut app = el::Map::with_capacity(5);
    let client_id = el::Value::from(client_id);
    app.insert(el::key("id"), client_id.clone());
    app.insert(el::key("clientId"), client_id.clone());
    app.insert(el::key("name"), el::Value::from("oidc_client"));
    app.insert(el::key("label"), name.map_or(client_id, el::Value::from));
    let profile = profile.map(el::map_from_json).unwrap_or_default();
    app.insert(el::key("profile"), el::Value::Map(Arc::new(profile)));
    el::Value::Map(Arc::new(app))
}

fn user_json(user: &User) -> Value {
    // Serializing plain data with string keys can't fail; fall back to null regardless.
    serde_json::to_value(user).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TokenRequest {
        TokenRequest::from_json(
            r#"{"client": {"clientId": "0oa1", "name": "Portal", "profile": {"tier": "gold"},
                           "grantTypes": ["authorization_code"]},
                "grantType": "authorization_code", "responseType": "code id_token code",
                "scopes": ["openid"],
                "user": {"id": "00u1", "status": "ACTIVE", "lastLogin": "2026-01-01T00:00:00.000Z",
                         "profile": {"login": "ann@example.com", "firstName": "Ann"},
                         "groups": [{"id": "00g1", "name": "Staff", "type": "OKTA_GROUP"}],
                         "linkedObjects": {"manager": {"id": "00u2", "profile": {"login": "bo@example.com"}}},
                         "_links": {"self": {"href": "x"}}},
                "appuser": {"userName": "ann"}, "org": {"name": "Example", "subDomain": "example"},
                "amr": ["pwd", "mfa"], "nonce": "n1", "authTime": 1767225600,
                "now": "2026-01-01T01:02:03.5+01:00"}"#,
        )
        .unwrap()
    }

    #[test]
    fn context_has_the_engine_shape() {
        let req = request();
        let ctx = req.context_with_scopes(&["openid".to_owned()]);
        assert_eq!(ctx["user"]["id"], "00u1");
        assert_eq!(ctx["user"]["profile"]["firstName"], "Ann");
        assert_eq!(ctx["user"]["lastLogin"], "2026-01-01T00:00:00.000Z");
        assert_eq!(ctx["user"]["groups"][0]["type"], "OKTA_GROUP");
        assert_eq!(
            ctx["user"]["linkedObjects"]["manager"]["profile"]["login"],
            "bo@example.com"
        );
        assert_eq!(ctx["user"]["_links"]["self"]["href"], "x");
        assert_eq!(ctx["appuser"]["userName"], "ann");
        assert_eq!(
            ctx["app"],
            json!({"id": "0oa1", "clientId": "0oa1", "name": "oidc_client", "label": "Portal",
                   "profile": {"tier": "gold"}})
        );
        assert_eq!(ctx["org"]["subDomain"], "example");
        assert_eq!(ctx["session"]["amr"], json!(["pwd", "mfa"]));
        assert_eq!(ctx["access"]["scope"], json!(["openid"]));
        assert_eq!(ctx["now"], "2026-01-01T00:02:03.500Z");
        assert!(req.context().get("access").is_none());
    }

    /// The direct context and the one read from the JSON context agree, root by root and in
    /// what expressions see of the user.
    #[test]
    fn eval_context_is_the_json_context() {
        let mut req = request();
        req.directory_users = Some(
            json!({"workday": [{"id": "w1"}]})
                .as_object()
                .cloned()
                .unwrap(),
        );
        req.idpuser = Some(json!({"sub": "x"}).as_object().cloned().unwrap());
        let scopes = ["openid".to_owned(), "email".to_owned()];
        let direct = req.eval_context(&scopes);
        let json = el::Context::from_json(&req.context_with_scopes(&scopes)).unwrap();
        assert_eq!(direct.to_json(), json.to_json());
        let limits = el::Limits::default();
        for expr in [
            "user.firstName",
            "user.id + user.status",
            "user.lastLogin",
            "user.getLinkedObject(\"manager\").login",
            "user.getInternalProperty(\"_links\")",
            "isMemberOfGroupName(\"Staff\")",
            "user.getGroups({\"group.type\": \"OKTA_GROUP\"})",
            "hasWorkdayUser()",
            "Time.now()",
            "app.label + ' ' + app.clientId + ' ' + app.profile.tier",
            "access.scope[1]",
            "session.amr",
        ] {
            let p = el::compile(expr, &limits).unwrap();
            let (a, b) = (p.eval(&direct), p.eval(&json));
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{expr}");
        }
    }

    #[test]
    fn absent_scopes_differ_from_empty_and_appuser_null_is_unassigned() {
        let mut v: Value = serde_json::to_value(request()).unwrap();
        v.as_object_mut().unwrap().remove("scopes");
        v["appuser"] = Value::Null;
        let r: TokenRequest = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(r.scopes, None);
        assert_eq!(r.appuser, None);
        assert_eq!(r.context()["appuser"], Value::Null);
        v["scopes"] = json!([]);
        let r: TokenRequest = serde_json::from_value(v).unwrap();
        assert_eq!(r.scopes, Some(vec![]));
    }

    #[test]
    fn response_type_is_a_set_and_round_trips() {
        let req = request();
        let rt = req.response_type.as_ref().unwrap();
        assert_eq!(rt.values(), ["code", "id_token"]);
        assert!(rt.contains("id_token") && !rt.contains("token"));
        let back: TokenRequest =
            serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn bad_requests_name_the_path() {
        let e = TokenRequest::from_json(
            r#"{"client": {"clientId": "c"}, "grantType": "password", "scopes": "openid", "now": "2026-01-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), Some("scopes"));
        assert!(e.to_string().starts_with("at scopes:"), "{e}");
        let e = TokenRequest::from_json(
            r#"{"client": {"clientId": "c"}, "grantType": "password", "now": "yesterday"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("at now:"), "{e}");
        let e = TokenRequest::from_json(
            r#"{"client": {"clientId": "c"}, "grant": "password", "now": "2026-01-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("grant"), "{e}");
    }
}
