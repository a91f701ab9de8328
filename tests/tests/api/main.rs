//! Cross-function tests: each module reads as the story of one part of the
//! foundation, against a real PostgreSQL and a real S3-protocol endpoint.

mod access;
mod custom_resource;
mod health;
mod jobs;
mod lambda_binaries;
mod migrate;
mod storage;
mod template;
