//! The one integration-test binary (one link of DataFusion for all integration tests).

mod architecture;
mod cli;
mod config;
mod disclosure;
mod events;
mod fixtures;
mod gates;
mod ingest;
mod integrity;
mod kolada;
mod lineage;
mod memory;
mod pipeline;
mod publication;
mod release;
mod robustness;
mod s3;
mod schemas;
mod survey;
mod synth;
mod transform;
mod validate;
