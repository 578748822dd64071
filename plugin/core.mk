# plugin identifier pipeline, spool, settings, manifest (owned by the plugin-core work)
