//! demarc's importer of other scanners' gcp findings (see `demarc-plugin-import`).

demarc_plugin_import::export_importer!(Gcp, "gcp", "import-gcp");
