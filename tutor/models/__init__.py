"""Models: the embedded default model, and (later) the catalog, local store and downloads."""
