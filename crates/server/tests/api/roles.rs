use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn roles_are_created_edited_reordered_and_deleted_with_discords_shape() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let g = app.guild(&u).await;
    let r = app
        .create_role(
            &g,
            &u,
            json!({"name": "Moderator", "color": 3447003, "hoist": true, "permissions": "8192"}),
        )
        .await;
    for key in [
        "id",
        "name",
        "color",
        "colors",
        "hoist",
        "icon",
        "unicode_emoji",
        "position",
        "permissions",
        "managed",
        "mentionable",
        "flags",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    assert_eq!(r["colors"]["primary_color"], 3447003);
    assert_eq!(r["permissions"], "8192");
    assert_eq!(r["position"], 1);
    let r2 = app.create_role(&g, &u, json!({"name": "Helper"})).await;
    assert_eq!(r2["position"], 1, "new roles go just above @everyone");
    let rid = r["id"].as_str().unwrap();
    let (_, roles) = app.get(&format!("/guilds/{}/roles", g.id), &u).await;
    assert_eq!(
        roles
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == rid)
            .unwrap()["position"],
        2
    );
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/roles/{rid}", g.id),
            &u,
            json!({"color": 99999999}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, 50035));
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/roles", g.id),
            &u,
            json!([{"id": r2["id"], "position": 2}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let helper = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == r2["id"])
        .unwrap();
    assert_eq!(helper["position"], 2);
    let (s, _) = app
        .delete(&format!("/guilds/{}/roles/{}", g.id, g.id), &u)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "@everyone cannot be deleted");
    let (s, _) = app
        .delete(&format!("/guilds/{}/roles/{rid}", g.id), &u)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/guilds/{}/roles/{rid}", g.id), &u).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, 10011));
    Ok(())
}

#[tokio::test]
async fn nobody_manages_a_role_at_or_above_their_own_or_grants_bits_they_lack() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let mod_ = app.user("moddy").await;
    let g = app.guild(&owner).await;
    app.join(&g, &owner, &mod_).await;
    let low = app.create_role(&g, &owner, json!({"name": "low"})).await;
    let managers = app
        .create_role(
            &g,
            &owner,
            json!({"name": "managers", "permissions": (1u64 << 28).to_string()}),
        )
        .await;
    let high = app.create_role(&g, &owner, json!({"name": "high"})).await;
    // Order (bottom to top): @everyone, high(1)?? — set explicitly: low=1, managers=2, high=3.
    let (s, _) = app
        .patch(&format!("/guilds/{}/roles", g.id), &owner, json!([{"id": low["id"], "position": 1}, {"id": managers["id"], "position": 2}, {"id": high["id"], "position": 3}]))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .put(
            &format!(
                "/guilds/{}/members/{}/roles/{}",
                g.id,
                mod_.id,
                managers["id"].as_str().unwrap()
            ),
            &owner,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/roles/{}", g.id, low["id"].as_str().unwrap()),
            &mod_,
            json!({"name": "renamed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "a lower role can be edited");
    let (s, v) = app
        .patch(
            &format!("/guilds/{}/roles/{}", g.id, high["id"].as_str().unwrap()),
            &mod_,
            json!({"name": "mine"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, 50013),
        "a higher role cannot"
    );
    let (s, _) = app
        .patch(
            &format!(
                "/guilds/{}/roles/{}",
                g.id,
                managers["id"].as_str().unwrap()
            ),
            &mod_,
            json!({"name": "same"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nor one's own top role");
    let (s, _) = app
        .patch(
            &format!("/guilds/{}/roles/{}", g.id, low["id"].as_str().unwrap()),
            &mod_,
            json!({"permissions": "8"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "ADMINISTRATOR is not theirs to grant"
    );
    let (s, _) = app
        .put(
            &format!(
                "/guilds/{}/members/{}/roles/{}",
                g.id,
                mod_.id,
                high["id"].as_str().unwrap()
            ),
            &mod_,
            json!({}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "cannot assign a higher role to themself"
    );
    let (s, _) = app
        .put(
            &format!(
                "/guilds/{}/members/{}/roles/{}",
                g.id,
                mod_.id,
                low["id"].as_str().unwrap()
            ),
            &mod_,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    Ok(())
}
