//! Receipts as PDF: a gift's receipt and a membership payment's numbered
//! confirmation, for their owner or the admins, by a download link to the
//! real S3-protocol endpoint; with the organisation's logo when it has one.

use http::StatusCode;
use loaf_tests::{spawn_app, Reply, TestApp};
use serde_json::json;

/// The file behind a download link.
async fn downloaded(app: &TestApp, reply: &Reply) -> Vec<u8> {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let _ = app;
    let res = reqwest::get(reply.body["download_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".pdf"));
    res.bytes().await.unwrap().to_vec()
}

fn holds(pdf: &[u8], text: &str) -> bool {
    pdf.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test]
async fn owners_and_admins_download_numbered_receipts_as_pdf_others_do_not() {
    let app = spawn_app().await;
    sqlx::query("UPDATE organisation_settings SET name = 'Les Amis du Parc'")
        .execute(&app.db)
        .await
        .unwrap();
    let admin = app.as_user(&app.user_with_role("admin").await).await;
    let ann = app
        .person(
            "Ann",
            "Donor",
            "ann@example.org",
            "payment_pending",
            "member",
        )
        .await;
    let bob = app
        .person(
            "Bob",
            "Other",
            "bob@example.org",
            "payment_pending",
            "member",
        )
        .await;
    let (ann_calls, bob_calls) = (app.as_user(&ann).await, app.as_user(&bob).await);

    // A gift: its receipt, for Ann and the admins only.
    let gift = admin
        .donations()
        .record(json!({"amount_cents": 2500, "method": "cash", "user_id": ann.id}))
        .await;
    assert_eq!(gift.status, StatusCode::CREATED, "{:?}", gift.body);
    let id = gift.body["id"].as_str().unwrap().to_string();
    let number = gift.body["receipt_number"].as_str().unwrap().to_string();
    let pdf = downloaded(&app, &ann_calls.donations().receipt_pdf(&id).await).await;
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(holds(&pdf, &format!("No. {number}")) && holds(&pdf, "Les Amis du Parc"));
    assert!(holds(&pdf, "EUR 25.00"));
    assert!(!holds(&pdf, "/Subtype /Image"), "no logo yet");
    downloaded(&app, &admin.donations().receipt_pdf(&id).await).await;
    assert_eq!(
        bob_calls.donations().receipt_pdf(&id).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.anonymous().donations().receipt_pdf(&id).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A membership payment: numbered the first time, the same number after.
    let plan = app.plan("Yearly", 3000).await;
    let paid = admin
        .subscriptions()
        .record_payment(json!({"user_id": ann.id, "plan_id": plan, "method": "bank_transfer"}))
        .await;
    let subscription = paid.body["id"].as_str().unwrap().to_string();
    // Someone else's numbers nothing.
    let r = bob_calls
        .subscriptions()
        .confirmation_pdf(&subscription)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let year = chrono::Utc::now().format("%Y").to_string();
    let first = downloaded(
        &app,
        &ann_calls
            .subscriptions()
            .confirmation_pdf(&subscription)
            .await,
    )
    .await;
    assert!(
        holds(&first, &format!("No. M{year}-000001")),
        "the first number"
    );
    assert!(holds(&first, "Membership payment confirmation") && holds(&first, "EUR 30.00"));
    let again = downloaded(
        &app,
        &admin.subscriptions().confirmation_pdf(&subscription).await,
    )
    .await;
    assert!(holds(&again, &format!("No. M{year}-000001")), "kept");

    // With a logo (a PNG), the receipt draws it.
    let logo = {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 1, 1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .unwrap()
            .write_image_data(&[0, 128, 0])
            .unwrap();
        out
    };
    app.state
        .storage
        .put_bytes("branding/logo/test.png", "image/png", logo)
        .await
        .unwrap();
    sqlx::query("UPDATE organisation_settings SET logo_key = 'branding/logo/test.png'")
        .execute(&app.db)
        .await
        .unwrap();
    let pdf = downloaded(&app, &ann_calls.donations().receipt_pdf(&id).await).await;
    assert!(holds(&pdf, "/Subtype /Image"));

    // A gift refunded in full has no receipt left.
    admin
        .donations()
        .refund(&id, json!({"reason": "Returned"}))
        .await;
    let r = ann_calls.donations().receipt_pdf(&id).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "no_receipt")
    );
}
