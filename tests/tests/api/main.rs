//! Cross-function tests: each module reads as the story of one part of the
//! foundation, against a real PostgreSQL and a real S3-protocol endpoint.

mod abuse;
mod access;
mod attacks;
mod auth_account;
mod auth_invitations;
mod auth_registration;
mod auth_sessions;
mod auth_support;
mod custom_resource;
mod directory;
mod documents;
mod donations;
mod email;
mod events;
mod exports;
mod faults;
mod health;
mod imports;
mod invitations;
mod jobs;
mod lambda_binaries;
mod lifecycle;
mod members;
mod migrate;
mod offline_payments;
mod openapi;
mod payments;
mod plans;
mod pooler;
mod receipts;
mod refunds;
mod roles;
mod storage;
mod subscriptions;
mod template;
