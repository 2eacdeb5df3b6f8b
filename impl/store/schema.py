"""The CCF's SQLite schema (version 1): everything a CAPIF core function needs to restart.

Every row about an invoker, a provider domain, a function or an API names the CCF it belongs to
(``ccf_id``), so a second CCF's records (CAPIF-6/6e interconnection, TS 23.222 clause 8.25) fit the
same tables. Times are integer seconds since the epoch (UTC). JSON columns hold the TS 29.222 body as
the CCF last accepted it (``to_json`` of the typed value).
"""

SCHEMA_VERSION = 1

SCHEMA = (
    """CREATE TABLE schema_version (version INTEGER NOT NULL)""",
    # One-time onboarding/registration secrets, stored as SHA-256 of the 32 random octets.
    """CREATE TABLE onboarding_secrets (
        secret_hash BLOB PRIMARY KEY,
        ccf_id TEXT NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('invoker-onboarding', 'provider-registration')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        consumed_at INTEGER,
        consumed_by TEXT
    )""",
    # Certificates the CCF's CA issued (CAPIF-1e / CAPIF-3/4/5 client certificates).
    """CREATE TABLE certificates (
        serial TEXT PRIMARY KEY,
        ccf_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('INVOKER', 'AEF', 'APF', 'AMF')),
        subject_id TEXT NOT NULL,
        pem TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        revoked_at INTEGER,
        revocation_reason TEXT
    )""",
    """CREATE INDEX certificates_by_subject ON certificates (role, subject_id)""",
    """CREATE TABLE invokers (
        api_invoker_id TEXT PRIMARY KEY,
        ccf_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('onboarded', 'offboarded')),
        enrolment_json TEXT NOT NULL,
        certificate_serial TEXT NOT NULL REFERENCES certificates (serial),
        onboarded_at INTEGER NOT NULL,
        offboarded_at INTEGER
    )""",
    """CREATE TABLE provider_domains (
        api_prov_dom_id TEXT PRIMARY KEY,
        ccf_id TEXT NOT NULL,
        enrolment_json TEXT NOT NULL,
        registered_at INTEGER NOT NULL
    )""",
    """CREATE TABLE provider_functions (
        api_prov_func_id TEXT PRIMARY KEY,
        api_prov_dom_id TEXT NOT NULL REFERENCES provider_domains (api_prov_dom_id) ON DELETE CASCADE,
        ccf_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('AEF', 'APF', 'AMF')),
        details_json TEXT NOT NULL,
        certificate_serial TEXT NOT NULL REFERENCES certificates (serial)
    )""",
    """CREATE TABLE service_apis (
        api_id TEXT PRIMARY KEY,
        ccf_id TEXT NOT NULL,
        apf_id TEXT NOT NULL REFERENCES provider_functions (api_prov_func_id),
        description_json TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    # One row per AEF profile of a published API: lookups by AEF and the (AEF, apiName) uniqueness.
    """CREATE TABLE api_profiles (
        api_id TEXT NOT NULL REFERENCES service_apis (api_id) ON DELETE CASCADE,
        aef_id TEXT NOT NULL REFERENCES provider_functions (api_prov_func_id),
        api_name TEXT NOT NULL,
        PRIMARY KEY (api_id, aef_id),
        UNIQUE (aef_id, api_name)
    )""",
    # Access control policy: an API is open to every onboarded invoker of its CCF unless it has an
    # audience list; revocations (TS 29.222 trustedInvokers/{id}/delete) deny per (invoker, AEF, API).
    """CREATE TABLE api_audience (
        api_id TEXT NOT NULL REFERENCES service_apis (api_id) ON DELETE CASCADE,
        api_invoker_id TEXT NOT NULL,
        PRIMARY KEY (api_id, api_invoker_id)
    )""",
    """CREATE TABLE restricted_apis (
        api_id TEXT PRIMARY KEY REFERENCES service_apis (api_id) ON DELETE CASCADE
    )""",
    """CREATE TABLE api_denials (
        api_invoker_id TEXT NOT NULL REFERENCES invokers (api_invoker_id),
        aef_id TEXT NOT NULL,
        api_id TEXT NOT NULL,
        cause TEXT NOT NULL,
        denied_at INTEGER NOT NULL,
        PRIMARY KEY (api_invoker_id, aef_id, api_id)
    )""",
    # Security contexts (TS 29.222 trustedInvokers/{apiInvokerId}): one per invoker, one row per
    # negotiated SecurityInformation entry, and the AEFPSKs derived for the entries that selected PSK.
    """CREATE TABLE security_contexts (
        api_invoker_id TEXT PRIMARY KEY REFERENCES invokers (api_invoker_id),
        ccf_id TEXT NOT NULL,
        notification_destination TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    """CREATE TABLE security_entries (
        entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
        api_invoker_id TEXT NOT NULL REFERENCES security_contexts (api_invoker_id) ON DELETE CASCADE,
        target_key TEXT NOT NULL,
        aef_id TEXT NOT NULL,
        api_id TEXT,
        entry_json TEXT NOT NULL,
        selected_method TEXT NOT NULL CHECK (selected_method IN ('PSK', 'PKI', 'OAUTH')),
        stale INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
        negotiated_at INTEGER NOT NULL,
        UNIQUE (api_invoker_id, target_key)
    )""",
    """CREATE INDEX security_entries_by_aef ON security_entries (aef_id)""",
    """CREATE TABLE aef_psks (
        entry_id INTEGER NOT NULL REFERENCES security_entries (entry_id) ON DELETE CASCADE,
        interface_json TEXT NOT NULL,
        psk BLOB NOT NULL,
        derivation TEXT NOT NULL,
        PRIMARY KEY (entry_id, interface_json)
    )""",
    """CREATE TABLE issued_tokens (
        token_id INTEGER PRIMARY KEY AUTOINCREMENT,
        ccf_id TEXT NOT NULL,
        api_invoker_id TEXT NOT NULL REFERENCES invokers (api_invoker_id),
        scope TEXT NOT NULL,
        aef_ids_json TEXT NOT NULL,
        token_sha256 BLOB NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
    )""",
)
