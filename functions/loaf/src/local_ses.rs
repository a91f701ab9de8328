//! The email provider's delivery events, as SES publishes them through a
//! configuration set to SNS and SNS hands them to a Lambda function: what
//! `loaf email bounce` and the tests feed the jobs function's handler, in
//! the same wire format.

use serde_json::{json, Value};

/// The Lambda SNS event of one hard bounce of mail to `address` (or, with
/// `complaint`, of its recipient reporting it as spam).
pub fn event(address: &str, complaint: bool) -> Value {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mail = json!({"timestamp": now, "source": "LOAF <no-reply@loaf.local>",
        "messageId": format!("local-{}", uuid::Uuid::new_v4()), "destination": [address]});
    let message = if complaint {
        json!({"eventType": "Complaint", "mail": mail, "complaint": {
            "complainedRecipients": [{"emailAddress": address}], "timestamp": now,
            "feedbackId": format!("local-{}", uuid::Uuid::new_v4()),
            "complaintFeedbackType": "abuse"}})
    } else {
        json!({"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": now, "feedbackId": format!("local-{}", uuid::Uuid::new_v4()),
            "reportingMTA": "dsn; loaf.local"}})
    };
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:000000000000:loaf-email-events:local",
        "Sns": {
            "Type": "Notification",
            "MessageId": uuid::Uuid::new_v4().to_string(),
            "TopicArn": "arn:aws:sns:eu-west-1:000000000000:loaf-email-events",
            "Subject": null,
            "Message": message.to_string(),
            "Timestamp": now,
            "SignatureVersion": "1",
            "MessageAttributes": {}
        }
    }]})
}
