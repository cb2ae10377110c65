//! Rampart's gRPC API, generated from `proto/rampart/v1`. This is the one public contract for
//! integrators; the same descriptor set is served through gRPC reflection.

#![allow(clippy::all, clippy::pedantic)]

pub mod v1 {
    tonic::include_proto!("rampart.v1");
}

/// The encoded `FileDescriptorSet` of the API, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/rampart_descriptor.bin"));
