"""Evidence access, hashing, hash sets and artefact parsers."""
