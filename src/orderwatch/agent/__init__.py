"""The overt device agent: collectors, a local store-and-forward spool, and the uploader."""
