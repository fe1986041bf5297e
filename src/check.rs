//! Configuration tests: run scenarios — a token request and what must come out of it — against
//! a server, as a CI job does on every change to the server's configuration.
//!
//! Each scenario is evaluated with [`AuthorizationServer::explain`] and, when a rule matches,
//! minted with [`AuthorizationServer::mint`]: the same code that serves tokens, nothing
//! reimplemented. The [`Report`] has one entry per scenario; a failed one says what was expected,
//! what came out and, when the expected rule was not the one chosen, the trace's reason it was
//! passed over.
//!
//! ```
//! use tokenmint::check::{self, Scenarios};
//! use tokenmint::{AuthorizationServer, Options, ServerConfig};
//!
//! let server = AuthorizationServer::compile(ServerConfig::from_json(r#"{
//!   "authorizationServer": {"name": "api", "audiences": ["api://orders"],
//!                           "issuer": "https://example.okta.com/oauth2/aus1"},
//!   "scopes": [{"name": "orders:read"}, {"name": "orders:write"}],
//!   "claims": [{"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION",
//!               "value": "app.profile.tier ?: 'standard'"}],
//!   "policies": [{"name": "Services", "description": "Back ends", "priority": 1,
//!                 "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
//!                 "rules": [{"name": "Read", "priority": 1,
//!                            "conditions": {"grantTypes": {"include": ["client_credentials"]},
//!                                           "scopes": {"include": ["orders:read"]}}}]}]
//! }"#)?, Options::default())?;
//!
//! let scenarios = Scenarios::from_json(r#"{"scenarios": [
//!   {"name": "a service reads",
//!    "request": {"client": {"clientId": "0oasvc"}, "grantType": "client_credentials",
//!                "scopes": ["orders:read"], "now": "2026-01-01T00:00:00Z"},
//!    "expect": {"decision": {"policy": "Services", "rule": "Read"},
//!               "access_token": {"tier": "standard", "scp": ["orders:read"], "uid": null}}},
//!   {"name": "writing is not allowed",
//!    "request": {"client": {"clientId": "0oasvc"}, "grantType": "client_credentials",
//!                "scopes": ["orders:write"], "now": "2026-01-01T00:00:00Z"},
//!    "expect": {"decision": {"rule": "Read"}}}
//! ]}"#)?;
//!
//! let report = check::run(&server, &scenarios);
//! assert!(!report.passed());
//! assert_eq!(report.failed(), 1);
//! let text = report.to_string();
//! assert!(text.starts_with("PASS  a service reads\nFAIL  writing is not allowed\n"));
//! assert!(text.contains("rule \"Read\" (policy \"Services\") was skipped: scope orders:write not allowed"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The scenario file
//!
//! ```text
//! {"scenarios": [{"name": "...", "request": {<a TokenRequest>},
//!                 "expect": {"decision": {"policy"?, "rule"?, "scopes"?}
//!                            | "error": {"error", "error_description"?},
//!                            "access_token"?: {<claims>} | null,
//!                            "id_token"?: {<claims>} | null}}]}
//! ```
//!
//! * `policy` and `rule` name the expected policy and rule by name or by id; `scopes` are the
//!   granted scopes, in any order. An expected decision also means the tokens are minted.
//! * `error` is the OAuth `error` code, from the evaluation or from minting (a claim that
//!   can't be evaluated is a `server_error`); `error_description`, when given, must be equal.
//! * `access_token` and `id_token` list claims the token's payload must have, with equal
//!   values (numbers compare by value, objects member by member); a claim given as `null` must
//!   be absent. The token itself must have been minted; `"id_token": null` says no ID token may
//!   be.
//!
//! Scenario names must be unique and every scenario must expect something. Malformed files
//! are refused whole by [`Scenarios::from_json`], each problem located by a JSON pointer and a
//! line and column.

use crate::compile::Options;
use crate::config::position::positions;
use crate::config::terraform::{DocumentKind, Located, Terraform, TerraformServer};
use crate::config::{Diagnostic, ServerConfig};
use crate::oauth::OAuthError;
use crate::policy::{Matched, Outcome, SkipReason, Trace, TraceStep, Verdict};
use crate::request::TokenRequest;
use crate::server::AuthorizationServer;
use crate::token::{Algorithm, KeySet};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, SeedableRng};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Scenarios

/// A scenario file: named requests and what each must give.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenarios {
    /// The scenarios, in file order.
    pub scenarios: Vec<Scenario>,
}

/// One request and its expectations.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A unique name, printed in the report.
    pub name: String,
    /// The token request.
    pub request: TokenRequest,
    /// What must come out.
    pub expect: Expect,
}

/// What a scenario must give.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expect {
    /// The decision or the error, if the scenario says.
    pub outcome: Option<ExpectedOutcome>,
    /// Claims of the access token, or `Absent`.
    pub access_token: Option<TokenExpectation>,
    /// Claims of the ID token, or `Absent`.
    pub id_token: Option<TokenExpectation>,
}

/// The expected result of the evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedOutcome {
    /// A rule matches and the tokens are minted.
    Decision(ExpectedDecision),
    /// The request fails with this error.
    Error(ExpectedError),
}

/// `expect.decision`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedDecision {
    /// The policy, by name or id.
    #[serde(default)]
    pub policy: Option<String>,
    /// The rule, by name or id.
    #[serde(default)]
    pub rule: Option<String>,
    /// The granted scopes, in any order.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// `expect.error`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// The OAuth `error` code, e.g. `access_denied`.
    pub error: String,
    /// The exact `error_description`, if it matters.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// What a token must contain.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenExpectation {
    /// No such token may be minted (`null` in the file).
    Absent,
    /// The token is minted and has these claims (`null` = the claim is absent).
    Claims(Map<String, Value>),
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            decision: Option<ExpectedDecision>,
            #[serde(default)]
            error: Option<ExpectedError>,
            #[serde(default, deserialize_with = "present")]
            access_token: Option<Option<Map<String, Value>>>,
            #[serde(default, deserialize_with = "present")]
            id_token: Option<Option<Map<String, Value>>>,
        }
        fn present<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Option<Map<String, Value>>>, D::Error> {
            Option::<Map<String, Value>>::deserialize(d).map(Some)
        }
        let raw = Raw::deserialize(d)?;
        let outcome = match (raw.decision, raw.error) {
            (Some(_), Some(_)) => {
                return Err(serde::de::Error::custom(
                    "expect has both decision and error; a request either matches a rule or fails",
                ));
            }
            (Some(d), None) => Some(ExpectedOutcome::Decision(d)),
            (None, Some(e)) => Some(ExpectedOutcome::Error(e)),
            (None, None) => None,
        };
        let token = |t: Option<Option<Map<String, Value>>>| {
            t.map(|t| t.map_or(TokenExpectation::Absent, TokenExpectation::Claims))
        };
        let expect = Expect {
            outcome,
            access_token: token(raw.access_token),
            id_token: token(raw.id_token),
        };
        if expect.outcome.is_none() && expect.access_token.is_none() && expect.id_token.is_none() {
            return Err(serde::de::Error::custom(
                "expect names nothing to check: give a decision, an error, or token claims",
            ));
        }
        if matches!(expect.outcome, Some(ExpectedOutcome::Error(_)))
            && [&expect.access_token, &expect.id_token]
                .iter()
                .any(|t| matches!(t, Some(TokenExpectation::Claims(_))))
        {
            return Err(serde::de::Error::custom(
                "expect has an error and token claims; a failed request mints no token",
            ));
        }
        Ok(expect)
    }
}

/// A problem in a scenario file, located by a JSON pointer and, where found, a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer to the offending value (`/scenarios/2/request/grantType`).
    pub pointer: String,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "{l}:{c}: ")?;
        }
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// A scenario file that can't be used, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "the scenario file has {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Located lines and columns are looked up for this many problems at most.
const MAX_LOCATED_PROBLEMS: usize = 1000;

fn push_pointer(base: &mut String, token: &str) {
    base.push('/');
    base.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

impl Scenarios {
    /// Reads a scenario file. Every malformed scenario is reported, each problem with its JSON
    /// pointer, line and column.
    pub fn from_json(text: &str) -> Result<Scenarios, ScenarioError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ScenarioError {
            problems: vec![Problem {
                pointer: String::new(),
                line: Some(e.line()),
                column: Some(e.column()),
                message: format!("not valid JSON: {e}"),
            }],
        })?;
        let mut problems = Vec::new();
        let mut out = Vec::new();
        let problem = |pointer: String, message: String| Problem {
            pointer,
            line: None,
            column: None,
            message,
        };
        match value {
            Value::Object(mut root) => {
                for key in root.keys() {
                    if key != "scenarios" {
                        let mut p = String::new();
                        push_pointer(&mut p, key);
                        problems.push(problem(
                            p,
                            format!("unknown member {key:?}; the file has only \"scenarios\""),
                        ));
                    }
                }
                match root.remove("scenarios") {
                    Some(Value::Array(items)) if items.is_empty() => problems.push(problem(
                        "/scenarios".into(),
                        "there are no scenarios, so nothing would be checked".into(),
                    )),
                    Some(Value::Array(items)) => {
                        let mut names = HashSet::new();
                        for (i, item) in items.into_iter().enumerate() {
                            let at = format!("/scenarios/{i}");
                            let name = item.get("name").and_then(Value::as_str).map(str::to_owned);
                            match serde_path_to_error::deserialize::<_, Scenario>(item) {
                                Ok(s) => {
                                    if s.name.trim().is_empty() {
                                        problems.push(problem(
                                            format!("{at}/name"),
                                            "the scenario's name is empty".into(),
                                        ));
                                    }
                                    out.push(s);
                                }
                                Err(e) => {
                                    let mut p = at.clone();
                                    for seg in e.path().iter() {
                                        use serde_path_to_error::Segment;
                                        match seg {
                                            Segment::Seq { index } => {
                                                push_pointer(&mut p, &index.to_string())
                                            }
                                            Segment::Map { key }
                                            | Segment::Enum { variant: key } => {
                                                push_pointer(&mut p, key)
                                            }
                                            Segment::Unknown => {}
                                        }
                                    }
                                    problems.push(problem(p, e.into_inner().to_string()));
                                }
                            }
                            if let Some(name) = name
                                && !names.insert(name.clone())
                            {
                                problems.push(problem(
                                    format!("{at}/name"),
                                    format!("another scenario is already named {name:?}; names identify scenarios in the report"),
                                ));
                            }
                        }
                    }
                    Some(other) => problems.push(problem(
                        "/scenarios".into(),
                        format!("expected an array of scenarios, found {}", kind(&other)),
                    )),
                    None => problems.push(problem(
                        String::new(),
                        "the file has no \"scenarios\" array".into(),
                    )),
                }
            }
            other => problems.push(problem(
                String::new(),
                format!(
                    "expected an object {{\"scenarios\": [...]}}, found {}",
                    kind(&other)
                ),
            )),
        }
        if problems.is_empty() {
            return Ok(Scenarios { scenarios: out });
        }
        let targets: HashSet<String> = problems
            .iter()
            .take(MAX_LOCATED_PROBLEMS)
            .map(|p| p.pointer.clone())
            .collect();
        let found = positions(text, &targets);
        for p in &mut problems {
            // A missing member is reported at its object.
            let mut at = p.pointer.as_str();
            loop {
                if let Some(pos) = found.get(at) {
                    p.line = Some(pos.line);
                    p.column = Some(pos.column);
                    break;
                }
                match at.rfind('/') {
                    Some(i) => at = at.get(..i).unwrap_or(""),
                    None => break,
                }
            }
        }
        if problems.iter().any(|p| p.line.is_none()) {
            // Parents of pointers that name absent members.
            let parents: HashSet<String> = problems
                .iter()
                .take(MAX_LOCATED_PROBLEMS)
                .filter(|p| p.line.is_none())
                .flat_map(|p| {
                    let mut v = Vec::new();
                    let mut at = p.pointer.as_str();
                    while let Some(i) = at.rfind('/') {
                        at = at.get(..i).unwrap_or("");
                        v.push(at.to_owned());
                    }
                    v
                })
                .collect();
            let found = positions(text, &parents);
            for p in problems.iter_mut().filter(|p| p.line.is_none()) {
                let mut at = p.pointer.as_str();
                while let Some(i) = at.rfind('/') {
                    at = at.get(..i).unwrap_or("");
                    if let Some(pos) = found.get(at) {
                        p.line = Some(pos.line);
                        p.column = Some(pos.column);
                        break;
                    }
                }
            }
        }
        Err(ScenarioError { problems })
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// The report

/// The outcome of every scenario. `Display` prints one line per scenario (`PASS`/`FAIL` and the
/// name), the details of each failure under it, and a summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// One entry per scenario, in file order.
    pub scenarios: Vec<ScenarioReport>,
}

/// What happened to one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub name: String,
    /// The policy, rule and scopes of the grant, when a rule matched.
    pub decision: Option<Decision>,
    /// The error of the evaluation or of minting.
    pub error: Option<OAuthError>,
    /// The access token's payload, when one was minted.
    pub access_token: Option<Map<String, Value>>,
    /// The ID token's payload, when one was minted.
    pub id_token: Option<Map<String, Value>>,
    /// What differs from the expectations; empty when the scenario passed.
    pub failures: Vec<Mismatch>,
}

/// The policy and rule that matched, and the granted scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The policy.
    pub policy: Matched,
    /// The rule.
    pub rule: Matched,
    /// The granted scopes.
    pub scopes: Vec<String>,
}

/// One expectation that was not met.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// What was compared: `decision`, `policy`, `rule`, `scopes`, `error`,
    /// `error_description`, `access_token`, `id_token`, or `access_token.<claim>`.
    pub what: String,
    /// The expected value (`null` for an absent claim or token).
    pub expected: Value,
    /// What came out (`null` for an absent claim or token).
    pub actual: Value,
    /// Why, where the evaluation says: for an expected rule or policy that was not chosen,
    /// the trace's reason it was passed over; for an error, its cause.
    pub reason: Option<String>,
}

impl ScenarioReport {
    /// Whether every expectation was met.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The report entry as JSON: `{"name", "passed", "decision", "error", "failures",
    /// "access_token", "id_token"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "passed": self.passed(),
            "decision": self.decision.as_ref().map_or(Value::Null, |d| json!({
                "policy": d.policy, "rule": d.rule, "scopes": d.scopes})),
            "error": self.error.as_ref().map_or(Value::Null, error_json),
            "failures": self.failures.iter().map(|m| {
                let mut v = json!({"what": m.what, "expected": m.expected, "actual": m.actual});
                if let (Some(r), Value::Object(o)) = (&m.reason, &mut v) {
                    o.insert("reason".into(), Value::from(r.as_str()));
                }
                v
            }).collect::<Vec<_>>(),
            "access_token": self.access_token.clone().map_or(Value::Null, Value::Object),
            "id_token": self.id_token.clone().map_or(Value::Null, Value::Object),
        })
    }
}

fn error_json(e: &OAuthError) -> Value {
    let mut v = e.to_json();
    if let (Some(cause), Value::Object(m)) = (&e.cause, &mut v) {
        m.insert("cause".into(), Value::from(cause.as_str()));
    }
    v
}

impl Report {
    /// Whether every scenario passed.
    pub fn passed(&self) -> bool {
        self.scenarios.iter().all(ScenarioReport::passed)
    }

    /// How many scenarios failed.
    pub fn failed(&self) -> usize {
        self.scenarios.iter().filter(|s| !s.passed()).count()
    }

    /// The report as JSON: `{"passed": <count>, "failed": <count>, "scenarios": [...]}`, each
    /// scenario as [`ScenarioReport::to_json`].
    pub fn to_json(&self) -> Value {
        json!({
            "passed": self.scenarios.len() - self.failed(),
            "failed": self.failed(),
            "scenarios": self.scenarios.iter().map(ScenarioReport::to_json).collect::<Vec<_>>(),
        })
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "absent".into(),
        v => v.to_string(),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.scenarios {
            writeln!(
                f,
                "{}  {}",
                if s.passed() { "PASS" } else { "FAIL" },
                s.name
            )?;
            for m in &s.failures {
                match (m.what.as_str(), &m.expected, &m.actual) {
                    ("access_token" | "id_token", Value::Null, _) => {
                        writeln!(f, "      {}: expected none, one was minted", m.what)?
                    }
                    ("access_token" | "id_token", _, Value::Null) => {
                        writeln!(f, "      {}: expected one, none was minted", m.what)?
                    }
                    ("decision", e, a) => {
                        writeln!(f, "      expected a decision {}, got {}", show(e), show(a))?
                    }
                    (what, e, a) => {
                        writeln!(f, "      {what}: expected {}, got {}", show(e), show(a))?
                    }
                }
                if let Some(r) = &m.reason {
                    writeln!(f, "        {r}")?;
                }
            }
        }
        let n = self.scenarios.len();
        match self.failed() {
            0 => write!(
                f,
                "all {n} scenario{} passed",
                if n == 1 { "" } else { "s" }
            ),
            k => write!(f, "{} passed, {k} failed", n - k),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running

/// The seed of the key set and token randomness of [`run`].
const RUN_SEED: u64 = 0;

/// Runs every scenario against `server`, minting with an ES256 key generated from a fixed
/// seed (claims don't depend on the key; jti values are reproducible from run to run). See
/// [`run_with`] to choose the keys.
pub fn run(server: &AuthorizationServer, scenarios: &Scenarios) -> Report {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(RUN_SEED);
    let now = scenarios
        .scenarios
        .iter()
        .map(|s| s.request.now)
        .min()
        .unwrap_or_default();
    match KeySet::generate(
        Algorithm::ES256,
        crate::config::RotationMode::Auto,
        now,
        &mut rng,
    ) {
        Ok(keys) => run_with(server, scenarios, &keys, &rng),
        Err(e) => Report {
            scenarios: scenarios
                .scenarios
                .iter()
                .map(|s| ScenarioReport {
                    name: s.name.clone(),
                    decision: None,
                    error: None,
                    access_token: None,
                    id_token: None,
                    failures: vec![Mismatch {
                        what: "keys".into(),
                        expected: Value::from("a signing key"),
                        actual: Value::Null,
                        reason: Some(format!("no key could be generated: {e}")),
                    }],
                })
                .collect(),
        },
    }
}

/// Runs every scenario against `server`, minting with `keys`. Each scenario mints with its own
/// copy of `rng`, so its tokens are those a lone run would mint — equal to the offline
/// preview's for the same key set and RNG state — whatever the other scenarios.
pub fn run_with<R: CryptoRng + Clone>(
    server: &AuthorizationServer,
    scenarios: &Scenarios,
    keys: &KeySet,
    rng: &R,
) -> Report {
    Report {
        scenarios: scenarios
            .scenarios
            .iter()
            .map(|s| run_one(server, s, keys, rng.clone()))
            .collect(),
    }
}

fn payload(compact: &str) -> Option<Map<String, Value>> {
    let part = compact.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn run_one<R: CryptoRng>(
    server: &AuthorizationServer,
    s: &Scenario,
    keys: &KeySet,
    mut rng: R,
) -> ScenarioReport {
    let trace = server.explain(&s.request);
    let mut report = ScenarioReport {
        name: s.name.clone(),
        decision: None,
        error: None,
        access_token: None,
        id_token: None,
        failures: Vec::new(),
    };
    match &trace.outcome {
        Outcome::Granted(grant) => {
            report.decision = Some(Decision {
                policy: grant.policy.clone(),
                rule: grant.rule.clone(),
                scopes: grant.scopes.clone(),
            });
            match server.mint(grant, keys, s.request.now, &mut rng) {
                Ok(t) => {
                    report.access_token = t.access_token.as_deref().and_then(payload);
                    report.id_token = t.id_token.as_deref().and_then(payload);
                }
                Err(e) => report.error = Some(e),
            }
        }
        Outcome::Denied(e) => report.error = Some(e.clone()),
    }
    compare(server.config(), &trace, &s.expect, &mut report);
    report
}

fn names(expected: &str, m: &Matched) -> bool {
    m.name == expected || m.id.as_deref() == Some(expected)
}

fn matched_json(m: &Matched) -> Value {
    Value::from(m.name.as_str())
}

fn compare(config: &ServerConfig, trace: &Trace, expect: &Expect, r: &mut ScenarioReport) {
    let mut failures = Vec::new();
    match &expect.outcome {
        Some(ExpectedOutcome::Decision(d)) => match (&r.decision, &r.error) {
            (Some(got), None) => {
                if let Some(p) = &d.policy
                    && !names(p, &got.policy)
                {
                    failures.push(Mismatch {
                        what: "policy".into(),
                        expected: Value::from(p.as_str()),
                        actual: matched_json(&got.policy),
                        reason: why_not(config, trace, Some(p), None),
                    });
                }
                // A rule is the expected one only inside the expected policy.
                let policy_ok = d.policy.as_deref().is_none_or(|p| names(p, &got.policy));
                if let Some(rule) = &d.rule
                    && !(policy_ok && names(rule, &got.rule))
                {
                    failures.push(Mismatch {
                        what: "rule".into(),
                        expected: Value::from(rule.as_str()),
                        actual: matched_json(&got.rule),
                        reason: why_not(config, trace, d.policy.as_deref(), Some(rule)),
                    });
                }
                if let Some(scopes) = &d.scopes {
                    let want: HashSet<&str> = scopes.iter().map(String::as_str).collect();
                    let have: HashSet<&str> = got.scopes.iter().map(String::as_str).collect();
                    if want != have {
                        failures.push(Mismatch {
                            what: "scopes".into(),
                            expected: json!(scopes),
                            actual: json!(got.scopes),
                            reason: None,
                        });
                    }
                }
            }
            (got, Some(e)) => {
                let expected = json!({"policy": d.policy, "rule": d.rule, "scopes": d.scopes});
                let expected = strip_nulls(expected);
                let why = match got {
                    // Matched, but minting failed.
                    Some(g) => Some(format!(
                        "policy {} rule {} matched, but minting failed{}",
                        g.policy,
                        g.rule,
                        e.cause
                            .as_deref()
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default()
                    )),
                    None => why_not(config, trace, d.policy.as_deref(), d.rule.as_deref())
                        .or_else(|| e.cause.clone()),
                };
                failures.push(Mismatch {
                    what: "decision".into(),
                    expected,
                    actual: error_json(e),
                    reason: why,
                });
            }
            (None, None) => {}
        },
        Some(ExpectedOutcome::Error(want)) => match &r.error {
            Some(e) => {
                if e.error() != want.error {
                    failures.push(Mismatch {
                        what: "error".into(),
                        expected: Value::from(want.error.as_str()),
                        actual: Value::from(e.error()),
                        reason: Some(format!(
                            "{}{}",
                            e.description(),
                            e.cause
                                .as_deref()
                                .map(|c| format!(" (cause: {c})"))
                                .unwrap_or_default()
                        )),
                    });
                } else if let Some(desc) = &want.error_description
                    && desc != e.description()
                {
                    failures.push(Mismatch {
                        what: "error_description".into(),
                        expected: Value::from(desc.as_str()),
                        actual: Value::from(e.description()),
                        reason: e.cause.clone(),
                    });
                }
            }
            None => {
                let actual = r.decision.as_ref().map_or(
                    Value::Null,
                    |d| json!({"policy": d.policy.name, "rule": d.rule.name, "scopes": d.scopes}),
                );
                let mut expected = json!({"error": want.error});
                if let (Some(d), Value::Object(o)) = (&want.error_description, &mut expected) {
                    o.insert("error_description".into(), Value::from(d.as_str()));
                }
                failures.push(Mismatch {
                    what: "error".into(),
                    expected,
                    actual,
                    reason: r
                        .decision
                        .as_ref()
                        .map(|d| format!("granted by policy {} rule {}", d.policy, d.rule)),
                });
            }
        },
        None => {}
    }
    for (what, expected, actual) in [
        ("access_token", &expect.access_token, &r.access_token),
        ("id_token", &expect.id_token, &r.id_token),
    ] {
        match (expected, actual) {
            (None, _) | (Some(TokenExpectation::Absent), None) => {}
            (Some(TokenExpectation::Absent), Some(_)) => failures.push(Mismatch {
                what: what.into(),
                expected: Value::Null,
                actual: Value::from("minted"),
                reason: None,
            }),
            (Some(TokenExpectation::Claims(want)), None) => {
                // Already explained by the outcome's failure when the request failed.
                if r.error.is_none() || expect.outcome.is_none() {
                    failures.push(Mismatch {
                        what: what.into(),
                        expected: Value::Object(want.clone()),
                        actual: Value::Null,
                        reason: r.error.as_ref().map(|e| format!("the request failed: {e}")),
                    });
                }
            }
            (Some(TokenExpectation::Claims(want)), Some(have)) => {
                for (claim, w) in want {
                    let h = have.get(claim).unwrap_or(&Value::Null);
                    if !same(w, h) {
                        failures.push(Mismatch {
                            what: format!("{what}.{claim}"),
                            expected: w.clone(),
                            actual: h.clone(),
                            reason: None,
                        });
                    }
                }
            }
        }
    }
    r.failures = failures;
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        v => v,
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`) and objects member by member.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (a, b) => a == b,
    }
}

/// The trace's reason why the expected policy or rule was not the one chosen.
fn why_not(
    config: &ServerConfig,
    trace: &Trace,
    policy: Option<&str>,
    rule: Option<&str>,
) -> Option<String> {
    let policy_matches = |m: &Matched| policy.is_none_or(|p| names(p, m));
    // The policy of each rule step is the last policy step before it.
    let mut current: Option<&Matched> = None;
    if let Some(rule) = rule {
        for step in &trace.steps {
            match step {
                TraceStep::Policy { policy: p, .. } => current = Some(p),
                TraceStep::Rule {
                    rule: r,
                    verdict: Verdict::Skipped { reason },
                    ..
                } if names(rule, r) && current.is_none_or(policy_matches) => {
                    let of = current
                        .map(|p| format!(" (policy {p})"))
                        .unwrap_or_default();
                    return Some(format!(
                        "rule {:?}{of} was skipped: {}",
                        r.name,
                        reason_text(reason)
                    ));
                }
                _ => {}
            }
        }
    }
    // The configuration's policies that hold the expected rule (or are the expected policy).
    let candidates: Vec<(&crate::config::Policy, Option<&crate::config::Rule>)> = config
        .policies
        .iter()
        .filter(|p| policy.is_none_or(|want| p.name == want || p.id.as_deref() == Some(want)))
        .flat_map(|p| match rule {
            Some(want) => p
                .rules
                .iter()
                .filter(|r| r.name == want || r.id.as_deref() == Some(want))
                .map(|r| (p, Some(r)))
                .collect::<Vec<_>>(),
            None => vec![(p, None)],
        })
        .collect();
    let Some(&(p, r)) = candidates.first() else {
        return Some(match (policy, rule) {
            (Some(p), Some(r)) => format!("the policy {p:?} has no rule named (or with id) {r:?}"),
            (None, Some(r)) => format!("no policy has a rule named (or with id) {r:?}"),
            (Some(p), None) => format!("no policy is named (or has id) {p:?}"),
            (None, None) => return None,
        });
    };
    let is_p = |m: &Matched| m.name == p.name && m.id == p.id;
    for step in &trace.steps {
        if let TraceStep::Policy {
            policy: m, verdict, ..
        } = step
            && is_p(m)
        {
            match verdict {
                Verdict::Skipped { reason } => {
                    return Some(format!(
                        "its policy {m} was skipped: {}",
                        reason_text(reason)
                    ));
                }
                Verdict::Evaluated | Verdict::Matched => {
                    let what =
                        r.map_or_else(|| format!("policy {m}"), |r| format!("rule {:?}", r.name));
                    return Some(match &trace.outcome {
                        Outcome::Granted(g) => format!(
                            "{what} was not reached: policy {} rule {} matched first",
                            g.policy, g.rule
                        ),
                        Outcome::Denied(e) => format!("{what} was not reached: {e}"),
                    });
                }
            }
        }
    }
    // The evaluation stopped before this policy.
    let what = match r {
        Some(r) => format!("rule {:?} of policy {:?}", r.name, p.name),
        None => format!("policy {:?}", p.name),
    };
    for step in &trace.steps {
        if let TraceStep::Check {
            check,
            passed: false,
            detail,
        } = step
        {
            return Some(format!(
                "{what} was not reached: the check \"{check}\" failed{}",
                detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ));
        }
    }
    Some(match &trace.outcome {
        Outcome::Granted(g) => format!(
            "{what} was not reached: policy {} rule {} matched first",
            g.policy, g.rule
        ),
        Outcome::Denied(e) => format!("{what} was not reached: {e}"),
    })
}

fn reason_text(r: &SkipReason) -> String {
    r.to_string()
}

// ---------------------------------------------------------------------------------------------
// Loading a server from either input

/// Where a loaded server came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A [`ServerConfig`] bundle.
    Bundle,
    /// `terraform show -json` output.
    Terraform {
        /// State or plan.
        kind: DocumentKind,
        /// The server's resource address.
        address: String,
    },
}

/// A compiled server and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The compiled server.
    pub server: AuthorizationServer,
    /// Bundle or Terraform.
    pub source: Source,
    /// Every warning: the Terraform reader's and the compiler's, located in the input (for
    /// Terraform, by resource address and attribute).
    pub warnings: Vec<Located>,
    /// For Terraform input, the server as read, which maps configuration pointers (of
    /// diagnostics, of trace steps) back to resource addresses.
    pub terraform: Option<TerraformServer>,
}

/// A configuration that can't be loaded, with every problem found, located in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The problems, errors first.
    pub diagnostics: Vec<Located>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.iter().filter(|d| d.is_error()).count();
        write!(
            f,
            "the configuration has {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    fn new(mut diagnostics: Vec<Located>) -> LoadError {
        diagnostics.sort_by_key(|d| std::cmp::Reverse(d.diagnostic.severity));
        LoadError { diagnostics }
    }
}

/// Loads and compiles a server from either input the tools accept: a [`ServerConfig`] bundle
/// (`{"authorizationServer": …}`) or the output of `terraform show -json` (a state or a plan;
/// recognised by its `format_version`, `values` or `planned_values`). `select` picks a
/// Terraform server by name or resource address when the document has several; given with a
/// bundle, it must be the bundle's server name.
///
/// ```
/// use tokenmint::check::{self, Source};
/// use tokenmint::Options;
///
/// let loaded = check::load_server(
///     &std::fs::read_to_string("examples/data/terraform/state.json")?,
///     Some("Orders API"),
///     Options::default(),
/// )?;
/// assert_eq!(loaded.server.config().authorization_server.name, "Orders API");
/// assert!(matches!(loaded.source, Source::Terraform { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_server(
    text: &str,
    select: Option<&str>,
    options: Options,
) -> Result<Loaded, LoadError> {
    let terraform = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => {
            !m.contains_key("authorizationServer")
                && [
                    "format_version",
                    "terraform_version",
                    "values",
                    "planned_values",
                ]
                .iter()
                .any(|k| m.contains_key(*k))
        }
        _ => false,
    };
    if terraform {
        let doc = Terraform::from_json(text).map_err(|e| LoadError::new(e.diagnostics))?;
        let tf = doc
            .server(select)
            .map_err(|e| LoadError::new(e.diagnostics))?;
        let source = Source::Terraform {
            kind: tf.kind,
            address: tf.address.clone(),
        };
        return match AuthorizationServer::compile(tf.config.clone(), options) {
            Ok(server) => {
                let mut warnings = tf.warnings.clone();
                warnings.extend(server.warnings().iter().map(|d| tf.locate(d)));
                Ok(Loaded {
                    server,
                    source,
                    warnings,
                    terraform: Some(tf),
                })
            }
            Err(e) => {
                let mut all = tf.warnings.clone();
                all.extend(e.diagnostics.iter().map(|d| tf.locate(d)));
                Err(LoadError::new(all))
            }
        };
    }
    let config = ServerConfig::from_json(text)
        .map_err(|e| LoadError::new(e.diagnostics.into_iter().map(Located::from).collect()))?;
    if let Some(name) = select
        && config.authorization_server.name != name
    {
        return Err(LoadError::new(vec![Located::from(
            Diagnostic::error(
                "server.select",
                "/authorizationServer/name",
                format!(
                    "the bundle's server is named {:?}, not {name:?}",
                    config.authorization_server.name
                ),
            )
            .with_hint("a bundle holds one server; choosing by name is for Terraform documents with several"),
        )]));
    }
    let server = AuthorizationServer::compile(config, options)
        .map_err(|e| LoadError::new(e.diagnostics.into_iter().map(Located::from).collect()))?;
    let warnings = server
        .warnings()
        .iter()
        .cloned()
        .map(Located::from)
        .collect();
    Ok(Loaded {
        server,
        source: Source::Bundle,
        warnings,
        terraform: None,
    })
}
