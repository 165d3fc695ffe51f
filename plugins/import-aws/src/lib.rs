//! demarc's importer of other scanners' aws findings (see `demarc-plugin-import`).

demarc_plugin_import::export_importer!(Aws, "aws", "import-aws");
