//! Host bindings of the `demarc:provider@0.3.0` world, generated from `sdk/wit`.

wasmtime::component::bindgen!({
    path: "../../sdk/wit",
    world: "provider",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use demarc::provider::types as wit;
