//! Host bindings of the `demarc:provider@0.3.0` world, generated from `schemas/wit`.

wasmtime::component::bindgen!({
    path: "../../schemas/wit",
    world: "provider",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use demarc::provider::types as wit;
