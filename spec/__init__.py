"""The capifsec catalogue as data (YAML) and its schemas; no Python logic lives here."""
