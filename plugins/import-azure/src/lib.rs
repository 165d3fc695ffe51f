//! demarc's importer of other scanners' azure findings (see `demarc-plugin-import`).

demarc_plugin_import::export_importer!(Azure, "azure", "import-azure");
