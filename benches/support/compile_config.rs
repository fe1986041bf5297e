//! The configuration text of the `compile` benchmark and of the compile-memory test:
//! `policies` client-specific policies of 5 rules each, written deterministically as compact
//! JSON in Management API shapes (about 1.1 KB a policy).
//!
//! Every policy names its own two clients; rules 0-3 are for one group each and list a few
//! scopes, rule 4 is for everyone and allows any scope, so the configuration compiles without
//! errors or warnings.

use std::fmt::Write;

/// The bundle's JSON text.
pub fn config_text(policies: usize) -> String {
    let mut s = String::with_capacity(policies * 1200 + 1024);
    s.push_str(
        r#"{"authorizationServer":{"id":"ausbench","name":"bench","description":"Compile benchmark","audiences":["api://bench"],"issuer":"https://example.okta.com/oauth2/ausbench","issuerMode":"ORG_URL","status":"ACTIVE"},"scopes":["#,
    );
    for (i, name) in ["orders:read", "orders:write", "reports", "admin"]
        .iter()
        .enumerate()
    {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"scp{i}","name":"{name}","description":"{name}","default":{},"consent":"IMPLICIT"}}"#,
            i == 0
        );
    }
    s.push_str(r#"],"claims":[{"id":"ocl1","name":"tier","status":"ACTIVE","claimType":"RESOURCE","valueType":"EXPRESSION","value":"app.profile.tier ?: 'standard'","conditions":{"scopes":[]},"alwaysIncludeInToken":true}],"policies":["#);
    for i in 0..policies {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"00p{i:07}","name":"Policy {i}","description":"Access policy {i}","priority":{},"conditions":{{"clients":{{"include":["0oa{i:07}a","0oa{i:07}b"]}}}},"rules":["#,
            i + 1
        );
        for j in 0..5 {
            if j > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                r#"{{"id":"0pr{i:07}{j}","name":"Rule {j}","priority":{},"#,
                j + 1
            );
            if j < 4 {
                let _ = write!(
                    s,
                    r#""conditions":{{"people":{{"groups":{{"include":["00g{:05}{j}"]}}}},"grantTypes":{{"include":["authorization_code"]}},"scopes":{{"include":["orders:read","orders:write"]}}}}}}"#,
                    i % 1000
                );
            } else {
                s.push_str(r#""conditions":{"people":{"groups":{"include":["EVERYONE"]}},"grantTypes":{"include":["authorization_code","refresh_token"]},"scopes":{"include":["*"]}},"actions":{"token":{"accessTokenLifetimeMinutes":30}}}"#);
            }
        }
        s.push_str("]}");
    }
    s.push_str("]}");
    s
}
