use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_first_account_administers_the_instance_and_later_ones_do_not() -> R {
    let app = TestApp::new().await;
    let (s, _, first) = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "alice", "password": "correct horse battery", "extra": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(first["instance_admin"], true);
    let (_, _, second) = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "bob", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(second["instance_admin"], false);
    let alice = User {
        id: first["user_id"].as_str().unwrap().into(),
        token: first["token"].as_str().unwrap().into(),
        name: "alice".into(),
    };
    let (s, me) = app.get("/users/@me", &alice).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["discriminator"], "0");
    assert_eq!(me["mfa_enabled"], false);
    assert_eq!(me["instance_admin"], true);
    Ok(())
}

#[tokio::test]
async fn registration_rejects_taken_usernames_ignoring_case_weak_passwords_and_bad_names() -> R {
    let app = TestApp::new().await;
    app.user("alice").await;
    let cases = [
        (
            json!({"username": "ALICE", "password": "correct horse battery"}),
            "username",
            "USERNAME_ALREADY_TAKEN",
        ),
        (
            json!({"username": "bob", "password": "short"}),
            "password",
            "PASSWORD_TOO_WEAK",
        ),
        (
            json!({"username": "bob", "password": "password1"}),
            "password",
            "PASSWORD_TOO_WEAK",
        ),
        (
            json!({"username": "b o b", "password": "correct horse battery"}),
            "username",
            "USERNAME_INVALID_CHARACTERS",
        ),
        (
            json!({"username": "bob", "password": "correct horse battery", "email": "nope"}),
            "email",
            "EMAIL_TYPE_INVALID_EMAIL",
        ),
        (
            json!({"password": "correct horse battery"}),
            "username",
            "BASE_TYPE_REQUIRED",
        ),
    ];
    for (body, field, leaf) in cases {
        let (s, _, v) = app
            .call(Method::POST, "/auth/register", None, Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(code(&v), 50035, "{v}");
        assert_eq!(
            v["errors"][field]["_errors"][0]["code"], leaf,
            "{body}: {v}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn login_accepts_username_or_email_and_logout_revokes_the_token() -> R {
    let app = TestApp::new().await;
    let (s, _, _) = app.call(Method::POST, "/auth/register", None, Some(json!({"username": "carol", "password": "correct horse battery", "email": "Carol@Example.com"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    for login in ["carol", "CAROL", "carol@example.com"] {
        let (s, _, v) = app
            .call(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"login": login, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{login}: {v}");
        assert!(v["user_id"].is_string());
    }
    let (s, _, v) = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"login": "carol", "password": "wrong password!"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["errors"]["password"]["_errors"][0]["code"],
        "INVALID_LOGIN"
    );
    let (_, _, v) = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"login": "carol", "password": "correct horse battery"})),
        )
        .await;
    let token = v["token"].as_str().unwrap().to_owned();
    let (s, _, _) = app
        .call(Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, v) = app
        .call(Method::GET, "/users/@me", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&v), 40001);
    Ok(())
}

#[tokio::test]
async fn a_password_change_revokes_every_old_token_and_returns_a_new_one() -> R {
    let app = TestApp::new().await;
    let u = app.user("dave").await;
    let (s, v) = app
        .patch(
            "/users/@me",
            &u,
            json!({"new_password": "another good one"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "the current password is required: {v}"
    );
    let (s, v) = app
        .patch(
            "/users/@me",
            &u,
            json!({"password": "correct horse battery", "new_password": "another good one"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let fresh = v["token"].as_str().unwrap().to_owned();
    let (s, _) = app.get("/users/@me", &u).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = app
        .call(Method::GET, "/users/@me", Some(&fresh), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn email_verification_and_password_reset_work_through_the_mailed_links() -> R {
    let app = TestApp::new().await;
    let (_, _, v) = app.call(Method::POST, "/auth/register", None, Some(json!({"username": "erin", "password": "correct horse battery", "email": "erin@example.com"}))).await;
    let token = v["token"].as_str().unwrap().to_owned();
    let mail = app.mailer.sent();
    assert_eq!(mail.len(), 1);
    let link_token = mail[0]
        .body
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (s, _, _) = app
        .call(
            Method::POST,
            "/auth/verify",
            None,
            Some(json!({"token": link_token})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, me) = app
        .call(Method::GET, "/users/@me", Some(&token), None)
        .await;
    assert_eq!(me["verified"], true);
    let (s, _, v) = app
        .call(
            Method::POST,
            "/auth/verify",
            None,
            Some(json!({"token": link_token})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "tokens are single-use: {v}");

    let (s, _, _) = app
        .call(
            Method::POST,
            "/auth/forgot",
            None,
            Some(json!({"login": "nobody"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NO_CONTENT,
        "unknown accounts are not revealed"
    );
    assert_eq!(app.mailer.sent().len(), 1);
    app.call(
        Method::POST,
        "/auth/forgot",
        None,
        Some(json!({"login": "erin@example.com"})),
    )
    .await;
    let mail = app.mailer.sent();
    let reset = mail[1]
        .body
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    app.clock.advance_ms(2 * 3600 * 1000);
    let (s, _, _) = app
        .call(
            Method::POST,
            "/auth/reset",
            None,
            Some(json!({"token": reset, "password": "brand new secret"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "reset links expire after an hour");
    app.call(
        Method::POST,
        "/auth/forgot",
        None,
        Some(json!({"login": "erin"})),
    )
    .await;
    let reset = app.mailer.sent()[2]
        .body
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (s, _, v) = app
        .call(
            Method::POST,
            "/auth/reset",
            None,
            Some(json!({"token": reset, "password": "brand new secret"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, _) = app
        .call(Method::GET, "/users/@me", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a reset revokes old sessions");
    Ok(())
}

#[tokio::test]
async fn invite_only_registration_needs_a_live_invite_and_closed_refuses_everyone() -> R {
    let app = TestApp::new().await;
    let owner = app.user("owner").await;
    let g = app.guild(&owner).await;
    let code = app.invite(&g, &owner).await;
    coterie_server::service::auth::set_registration_mode(
        &app.app().store,
        coterie_server::config::RegistrationMode::Invite,
    )
    .await?;
    let (s, _, v) = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "gina", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        v["errors"]["invite"]["_errors"][0]["code"],
        "INVITE_REQUIRED"
    );
    let (s, _, v) = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "gina", "password": "correct horse battery", "invite": code})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let gina = User {
        id: v["user_id"].as_str().unwrap().into(),
        token: v["token"].as_str().unwrap().into(),
        name: "gina".into(),
    };
    let (s, _) = app.get(&format!("/guilds/{}", g.id), &gina).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "registering with an invite joins its community"
    );
    coterie_server::service::auth::set_registration_mode(
        &app.app().store,
        coterie_server::config::RegistrationMode::Closed,
    )
    .await?;
    let (s, _, _) = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "hank", "password": "correct horse battery", "invite": code})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn logging_out_everywhere_revokes_every_token() -> R {
    let app = TestApp::new().await;
    let u = app.user("alice").await;
    let (_, _, v) = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"login": "alice", "password": "correct horse battery"})),
        )
        .await;
    let second = v["token"].as_str().unwrap().to_owned();
    let (s, _, _) = app
        .call(Method::POST, "/auth/logout?all=true", Some(&u.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = app
        .call(Method::GET, "/users/@me", Some(&second), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    Ok(())
}
