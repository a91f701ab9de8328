//! The `loaf` admin CLI and the local development stack: a private
//! PostgreSQL cluster, a local S3 endpoint, a payment-provider stand-in and a gateway that serves every
//! function's router on one port, with the web app beside it. The test
//! suite uses the same pieces, and a PgBouncer (`local_pooler`) standing in
//! for RDS Proxy.

pub mod commands;
pub mod gateway;
pub mod local_payments;
pub mod local_pooler;
pub mod local_postgres;
pub mod local_s3;
pub mod local_ses;
pub mod local_stack;
pub mod project;
pub mod serve;
pub mod web;
