/*
 * dbms.h - the database clients whose settings live in main.cf.
 *
 * A table "ldap:name" makes main.cf settings "name_SUFFIX" known to
 * postconf, for the suffixes below; "ldap:/path" names a file of such
 * settings instead.  The lists are those of Postfix 3.7's postconf,
 * found by asking it about every candidate name (see pfm-parsecf(8)).
 */
#ifndef PFM_DBMS_H
#define PFM_DBMS_H

static const char *const dbms_ldap[] = {
    "bind", "bind_dn", "bind_pw", "cache", "cache_expiry", "cache_size",
    "chase_referrals", "debuglevel", "dereference", "domain",
    "expansion_limit", "leaf_result_attribute", "query_filter",
    "recursion_limit", "result_attribute", "result_filter",
    "result_format", "sasl_authz_id", "sasl_mechs", "sasl_minssf",
    "sasl_realm", "scope", "search_base", "server_host", "server_port",
    "size_limit", "special_result_attribute", "start_tls",
    "terminal_result_attribute", "timeout", "tls_ca_cert_dir",
    "tls_ca_cert_file", "tls_cert", "tls_cipher_suite", "tls_key",
    "tls_random_file", "tls_require_cert", "version", NULL
};

static const char *const dbms_mysql[] = {
    "additional_conditions", "dbname", "domain", "expansion_limit",
    "hosts", "option_file", "option_group", "password", "query",
    "require_result_set", "result_format", "select_field", "table",
    "tls_CAfile", "tls_CApath", "tls_cert_file", "tls_ciphers",
    "tls_key_file", "tls_verify_cert", "user", "where_field", NULL
};

static const char *const dbms_pgsql[] = {
    "additional_conditions", "dbname", "domain", "expansion_limit",
    "hosts", "password", "query", "result_format", "select_field",
    "select_function", "table", "user", "where_field", NULL
};

static const char *const dbms_sqlite[] = {
    "additional_conditions", "dbpath", "domain", "expansion_limit",
    "query", "result_format", "select_field", "table", "where_field",
    NULL
};

static const char *const dbms_memcache[] = {
    "backup", "data_size_limit", "domain", "flags", "key_format",
    "line_size_limit", "max_try", "memcache", "retry_pause", "timeout",
    "ttl", NULL
};

static const struct dbms_type {
    const char *type;
    const char *const *suffixes;
} dbms_types[] = {
    {"ldap", dbms_ldap},
    {"mysql", dbms_mysql},
    {"pgsql", dbms_pgsql},
    {"sqlite", dbms_sqlite},
    {"memcache", dbms_memcache},
};

#endif
