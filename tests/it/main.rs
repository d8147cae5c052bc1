//! The one integration-test binary (one link of DataFusion for all integration tests).

mod config;
mod events;
mod fixtures;
mod gates;
mod ingest;
mod kolada;
mod pipeline;
mod publication;
mod release;
mod s3;
mod survey;
mod synth;
mod transform;
