/**
 * Generated from the API contract (@coffer/contract) by openapi-typescript: do not edit.
 * Regenerate with `npm run generate` after changing the contract.
 */
/* eslint-disable */
export interface paths {
    "/v1/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List tenants
         * @description **Access:** An admin token.
         */
        get: operations["listTenants"];
        put?: never;
        /**
         * Create a tenant and its first key
         * @description **Access:** An admin token.
         */
        post: operations["createTenant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a tenant: its keys are destroyed first (crypto-shredding), then its rows and tokens
         * @description **Access:** An admin token.
         */
        delete: operations["deleteTenant"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List API tokens (never the tokens themselves)
         * @description **Access:** An admin token.
         */
        get: operations["listTokens"];
        put?: never;
        /**
         * Create an API token
         * @description Admin tokens take no tenant or scopes. Tenant tokens need a tenant and at least one scope. Metrics tokens (for a Prometheus scraper) take no tenant and hold `metrics:read` only: they read /metrics and nothing else. `ttlSeconds` bounds the lifetime. The token is shown once.
         *
         *     **Access:** An admin token.
         *
         *     The answer carries `cache-control: no-store`.
         */
        post: operations["createToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API token at once
         * @description **Access:** An admin token.
         */
        delete: operations["revokeToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List secrets with masked values
         * @description Never returns plaintext. Pages by name: pass `nextCursor` as `cursor`.
         *
         *     **Access:** A token of this tenant with `secrets:read`, or an admin token.
         */
        get: operations["listSecrets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Secret metadata and masked current value
         * @description **Access:** A token of this tenant with `secrets:read`, or an admin token.
         */
        get: operations["getSecret"];
        /**
         * Write a new version of a secret
         * @description Creates the secret if needed. `cas`: 0 creates only; N writes only if the current version is N (409 CAS_MISMATCH otherwise, with `currentVersion`).
         *
         *     **Access:** A token of this tenant with `secrets:write`, or an admin token.
         */
        put: operations["putSecret"];
        post?: never;
        /**
         * Soft-delete every version, or one (?version=N)
         * @description **Access:** A token of this tenant with `secrets:write`, or an admin token.
         */
        delete: operations["deleteSecret"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/secrets/{name}/reveal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reveal the plaintext of the current or a given version
         * @description Needs `secrets:reveal`. The body is optional (none, or `{}`, reveals the current version). The reveal is recorded in the audit log before the value is returned; if the event cannot be written, nothing is returned (503 AUDIT_UNAVAILABLE).
         *
         *     **Access:** A token of this tenant with `secrets:reveal`, or an admin token.
         *
         *     The answer carries `cache-control: no-store`.
         */
        post: operations["revealSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/secrets/{name}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List kept versions, newest first, with masked values
         * @description **Access:** A token of this tenant with `secrets:read`, or an admin token.
         */
        get: operations["listSecretVersions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/secrets/{name}/undelete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restore soft-deleted versions
         * @description **Access:** A token of this tenant with `secrets:write`, or an admin token.
         */
        post: operations["undeleteSecretVersions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/secrets/{name}/destroy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Wipe versions for good
         * @description **Access:** A token of this tenant with `secrets:write`, or an admin token.
         */
        post: operations["destroySecretVersions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/keys/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate a tenant's key: new writes use the new version at once
         * @description **Access:** An admin token.
         */
        post: operations["rotateTenantKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/keys/rewrap": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Re-encrypt a tenant's data keys under its newest key (resumable)
         * @description **Access:** An admin token.
         */
        post: operations["rewrapTenant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Key status: root, tenant and audit keys and what each protects
         * @description Ids, states and counts; never a key. `rotation` is a root rotation running or interrupted, null otherwise.
         *
         *     **Access:** An admin token.
         */
        get: operations["getKeyStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A tenant's audit events, newest first
         * @description Filters combine. Pages by sequence number: pass `nextCursor` as `cursor`.
         *
         *     **Access:** A token of this tenant with `audit:read`, or an admin token.
         */
        get: operations["listAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Verify the whole hash chain; names the first broken event
         * @description **Access:** An admin token.
         */
        get: operations["verifyAuditChain"];
        put?: never;
        /**
         * Verify the audit log against a checkpoint
         * @description The body is a checkpoint file as written. Checks its signature and that its key is this vault's, then the chain: events cut after it was made (`truncated`), any event up to it rewritten, even re-hashed with the audit key. `unanchored` counts the events after it. A checkpoint signed by another key is reported (`vaultKey: false`), never trusted.
         *
         *     **Access:** An admin token.
         */
        post: operations["verifyAuditCheckpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/checkpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a checkpoint of the audit chain head now
         * @description Ed25519 under a key derived from the current audit key. With COFFER_AUDIT_CHECKPOINT_DIR it is also written there (`file`). Keep checkpoints off the machine: they prove later truncation or rewriting of the log up to them. Refused with AUDIT_CHECKPOINT_MISMATCH when the log no longer holds the last checkpoint signed.
         *
         *     **Access:** An admin token.
         */
        post: operations["createAuditCheckpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/public-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The public keys that check audit checkpoints, one per audit key version
         * @description Give them to whoever verifies checkpoints (`coffer audit verify-checkpoint FILE --public-key KEY` needs no vault and no secret).
         *
         *     **Access:** An admin token.
         */
        get: operations["listAuditPublicKeys"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the provider catalog
         * @description Built-in definitions and the team's own from `COFFER_PROVIDERS_DIR` (`source: custom`).
         *
         *     **Access:** Any valid token.
         */
        get: operations["listProviders"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One provider definition
         * @description **Access:** Any valid token.
         */
        get: operations["getProvider"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List connections with status and masked credentials
         * @description Newest first. Pass `nextCursor` as `cursor` for the next page.
         *
         *     **Access:** A token of this tenant with `connections:read`, or an admin token.
         */
        get: operations["listConnections"];
        put?: never;
        /**
         * Create a connection
         * @description For api_key, basic and custom providers: `credentials` holds the fields the provider declares (stored in a vault secret created in the same transaction), or `secret` names an existing secret that holds them (the caller then needs `secrets:reveal` too). OAuth providers are connected through a connect session instead.
         *
         *     **Access:** A token of this tenant with `connections:write`, or an admin token.
         */
        post: operations["createConnection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/connections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One connection
         * @description **Access:** A token of this tenant with `connections:read`, or an admin token.
         */
        get: operations["getConnection"];
        put?: never;
        post?: never;
        /**
         * Delete a connection and erase the secret it owns
         * @description OAuth tokens are revoked at the provider first where it can (`revocation` says how that went; the delete goes ahead either way). A secret the connection only referenced is left in place.
         *
         *     **Access:** A token of this tenant with `connections:write`, or an admin token.
         */
        delete: operations["deleteConnection"];
        options?: never;
        head?: never;
        /**
         * Rename, change config or replace credentials
         * @description New `credentials` become a new version of the connection's secret; the old version stays (masked) in its history. Config fields that form a URL (a host, a shop domain) are fixed once the connection exists (409 CONNECTION_FIELD_IMMUTABLE): create a new connection to point elsewhere.
         *
         *     **Access:** A token of this tenant with `connections:write`, or an admin token.
         */
        patch: operations["updateConnection"];
        trace?: never;
    };
    "/v1/tenants/{tenant}/connections/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run the provider's test request with the connection's credentials
         * @description The credentials never leave the server. The answer says whether the provider accepted them (status, remote account id); the connection's status and last error are updated.
         *
         *     **Access:** A token of this tenant with `connections:write`, or an admin token.
         */
        post: operations["testConnection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/connections/{id}/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Refresh an OAuth connection's token now
         * @description Asks the provider for a new token now, whatever the current token's expiry or a back-off after failures. Concurrent calls for one connection, in any replica, send one request and all get its result (a failure included). Answers with the connection and its new expiresAt; recorded as connection.refresh with the caller as actor.
         *
         *     **Access:** A token of this tenant with `connections:write`, or an admin token.
         */
        post: operations["refreshConnection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/connections/{id}/credentials": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Credentials valid now, and how to use them (plaintext)
         * @description Needs `secrets:reveal`. The body is optional. Refreshes first when a token is about to expire. Recorded in the audit log before the answer; if the event cannot be written, nothing is returned (503 AUDIT_UNAVAILABLE).
         *
         *     **Access:** A token of this tenant with `secrets:reveal`, or an admin token.
         *
         *     The answer carries `cache-control: no-store`.
         */
        post: operations["getConnectionCredentials"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/connect/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start connecting an OAuth account: a single-use connect link
         * @description Send the user to `url`. It is valid once, for ten minutes. `returnUrl` must be on the tenant's allowed return origins (set by an admin; without any, only Coffer's own public origin). At the end the browser returns to `returnUrl` with `coffer_status=connected&coffer_connection_id=…` or `coffer_status=error&coffer_error=…`. With `connectionId`, the flow re-authorises that connection instead of creating one.
         *
         *     **Access:** A token of this tenant with `connections:write`, or an admin token.
         *
         *     The answer carries `cache-control: no-store`.
         */
        post: operations["createConnectSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/connect/return-origins": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Origins the tenant's connect sessions may return to
         * @description Null when none is set: then only Coffer's own public origin is allowed.
         *
         *     **Access:** An admin token.
         */
        get: operations["getReturnOrigins"];
        /**
         * Set the origins the tenant's connect sessions may return to (admin)
         * @description Exact origins (`https://app.example.com`; http only on loopback), at most 100. An empty list clears them: only Coffer's own public origin is then allowed.
         *
         *     **Access:** An admin token.
         */
        put: operations["setReturnOrigins"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/connect/{link}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Open a connect link (in the browser): redirects to the provider
         * @description The link is the capability: no token. Sets a short-lived cookie that binds the flow to this browser, then redirects (302) to the provider's consent page. A used or expired link answers 400 CONNECT_SESSION_INVALID.
         *
         *     **Access:** No token needed.
         *
         *     The answer carries `cache-control: no-store`.
         */
        get: operations["openConnectLink"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/oauth/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * OAuth redirect URI: finishes the flow, then returns the browser to the application
         * @description Register `<public URL>/v1/oauth/callback` as the redirect URI of your OAuth client at the provider. Redirects (302) to the session's return URL with `coffer_status=connected&coffer_connection_id=…` or `coffer_status=error&coffer_error=…`.
         *
         *     **Access:** No token needed.
         *
         *     The answer carries `cache-control: no-store`.
         */
        get: operations["completeOAuth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: the process answers
         * @description **Access:** No token needed.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: the vault is open and its database answers
         * @description 200 `ready` or `degraded` (still serving; `checks` says what is wrong); 503 `unavailable`.
         *
         *     **Access:** No token needed.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (service-wide; no tenant, secret or value)
         * @description **Access:** An admin or metrics token.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @example {
         *       "error": {
         *         "code": "SECRET_NOT_FOUND",
         *         "message": "Secret \"shopify_token\" does not exist in tenant \"acme\"."
         *       }
         *     }
         */
        ErrorBody: {
            error: {
                code: components["schemas"]["ErrorCode"];
                message: string;
                /** @description With CAS_MISMATCH: the secret's current version (0: it does not exist). */
                currentVersion?: number;
            };
        };
        /**
         * @example {
         *       "id": "acme",
         *       "name": "Acme Ltd",
         *       "createdAt": "2026-11-27T09:30:00.000Z",
         *       "secretCount": 3
         *     }
         */
        Tenant: {
            id: string;
            name: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            secretCount: number;
        };
        TenantList: {
            items: components["schemas"]["Tenant"][];
        };
        DeletedTenant: {
            id: string;
            /** @constant */
            deleted: true;
        };
        CreatedToken: {
            id: string;
            kind: components["schemas"]["TokenKind"];
            tenant: string | null;
            scopes: components["schemas"]["TokenScope"][];
            description: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            expiresAt: string | null;
            revokedAt: string | null;
            lastUsedAt: string | null;
            /** @description The token (`cfr_…`). Shown once: store it now. */
            token: string;
        };
        TokenList: {
            items: components["schemas"]["ApiToken"][];
        };
        /** @description A token's record; never the token itself. */
        ApiToken: {
            id: string;
            kind: components["schemas"]["TokenKind"];
            tenant: string | null;
            scopes: components["schemas"]["TokenScope"][];
            description: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            expiresAt: string | null;
            revokedAt: string | null;
            lastUsedAt: string | null;
        };
        SecretPage: {
            items: components["schemas"]["SecretInfo"][];
            nextCursor: string | null;
        };
        PutSecretResult: {
            name: string;
            version: number;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            /** @description Versions this write destroyed because the secret keeps `maxVersions` (oldest first); each is audited. */
            destroyedVersions?: number[];
        };
        /** @description A secret's metadata and its current value masked; never plaintext. */
        SecretInfo: {
            name: string;
            type: components["schemas"]["SecretType"];
            metadata: {
                [key: string]: unknown;
            };
            currentVersion: number;
            state: components["schemas"]["VersionState"];
            maxVersions: number;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            updatedAt: string;
            masked: components["schemas"]["MaskedValue"];
        };
        /**
         * @description Plaintext. Recorded in the audit log before it was sent.
         * @example {
         *       "name": "shopify_token",
         *       "type": "api_key",
         *       "version": 3,
         *       "value": "shpat_0123456789abcdef"
         *     }
         */
        RevealedSecret: {
            name: string;
            type: components["schemas"]["SecretType"];
            version: number;
            value: components["schemas"]["SecretValue"];
        };
        SecretVersionList: {
            items: components["schemas"]["SecretVersionInfo"][];
        };
        /** @description The versions the call changed. */
        VersionsResult: {
            name: string;
            versions: number[];
        };
        RotatedTenantKey: {
            keyId: string;
            version: number;
        };
        RewrapResult: {
            tenant: string;
            keyId: string;
            rewrapped: number;
        };
        KeyStatus: {
            rootKeyProvider: string;
            root: components["schemas"]["RootKeyStatus"][];
            tenants: components["schemas"]["TenantKeyStatus"][];
            audit: components["schemas"]["AuditKeyStatus"][];
            rotation: components["schemas"]["RootRotationStatus"] | null;
        };
        AuditPage: {
            items: components["schemas"]["AuditEvent"][];
            nextCursor: number | null;
        };
        ChainVerification: {
            ok: boolean;
            checked: number;
            firstBroken: {
                seq: number;
                reason: string;
            } | null;
            /** @description Runs of plain SHA-256 events (from before audit keys) and of events MACed under an audit key version. */
            segments: {
                from: number;
                to: number;
                keyed: boolean;
                keyVersion?: number;
            }[];
        };
        WrittenCheckpoint: {
            /** @constant */
            format: "coffer-audit-checkpoint/1";
            /** @description the newest event covered (0: an empty log) */
            seq: number;
            /** @description that event's hash */
            hash: string;
            /**
             * Format: date-time
             * @description when the checkpoint was made
             */
            at: string;
            /** @description the audit key version the signing key is derived from */
            keyVersion: number;
            /** @description first 16 hex digits of SHA-256 of the raw public key */
            keyId: string;
            signature: string;
            publicKey: string;
            /** @description where it was written, or null without a checkpoint directory */
            file: string | null;
        };
        AuditPublicKeyList: {
            items: components["schemas"]["AuditPublicKey"][];
        };
        CheckpointVerification: {
            ok: boolean;
            reason: string | null;
            problems: string[];
            checkpoint: components["schemas"]["CheckpointPayload"];
            signatureValid: boolean;
            /** @description Whether the checkpoint's key is this vault's audit key of its version. */
            vaultKey: boolean;
            /** @description Events 1 to this seq are proven unchanged since the checkpoint. */
            anchoredThrough: number | null;
            /** @description Events after the checkpoint. */
            unanchored: number;
            head: {
                seq: number;
                hash: string;
            };
            chain: components["schemas"]["ChainVerification"] | null;
        };
        ProviderList: {
            items: components["schemas"]["Provider"][];
        };
        Provider: {
            id: string;
            name: string;
            description?: string;
            docs?: string;
            /** @enum {string} */
            source: "builtin" | "custom";
            auth: components["schemas"]["ProviderAuth"];
            config: components["schemas"]["ProviderConfigField"][];
            /** @description Hosts a URL filled from a template may reach: exact, `*.suffix`, or `*`. */
            allowedHosts?: string[];
            api: components["schemas"]["ProviderApi"];
        };
        /** @description A connection; its credentials masked. */
        Connection: {
            id: string;
            tenant: string;
            provider: string;
            displayName: string;
            authMode: components["schemas"]["AuthMode"];
            status: components["schemas"]["ConnectionStatus"];
            lastError: string | null;
            /** @description The remote account id the provider reported. */
            identifier: string | null;
            config: {
                [key: string]: string;
            };
            secret: {
                name: string;
                owned: boolean;
            };
            credentials: components["schemas"]["MaskedValue"];
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            updatedAt: string;
            lastUsedAt: string | null;
            lastRefreshedAt: string | null;
            expiresAt: string | null;
            /** @description The legacy row's key when `coffer migrate legacy` made the connection. */
            importKey: string | null;
        };
        ConnectionPage: {
            items: components["schemas"]["Connection"][];
            nextCursor: string | null;
        };
        DeletedConnection: {
            id: string;
            tenant: string;
            provider: string;
            displayName: string;
            authMode: components["schemas"]["AuthMode"];
            status: components["schemas"]["ConnectionStatus"];
            lastError: string | null;
            /** @description The remote account id the provider reported. */
            identifier: string | null;
            config: {
                [key: string]: string;
            };
            secret: {
                name: string;
                owned: boolean;
            };
            credentials: components["schemas"]["MaskedValue"];
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            updatedAt: string;
            lastUsedAt: string | null;
            lastRefreshedAt: string | null;
            expiresAt: string | null;
            /** @description The legacy row's key when `coffer migrate legacy` made the connection. */
            importKey: string | null;
            /**
             * @description What became of the tokens at the provider: `revoked`, `not_supported` (no revocation endpoint, or not OAuth), or `failed` (the delete went ahead anyway).
             * @enum {string}
             */
            revocation: "revoked" | "not_supported" | "failed";
        };
        ConnectionTestResult: {
            ok: boolean;
            status: number | null;
            identifier: string | null;
            error: string | null;
            durationMs: number;
            connection: components["schemas"]["Connection"];
        };
        /** @description Plaintext credentials valid now, with the base URL, headers and query parameters that carry them. */
        UsableCredentials: {
            connectionId: string;
            provider: string;
            authMode: components["schemas"]["AuthMode"];
            values: {
                [key: string]: string;
            };
            baseUrl: string;
            headers: {
                [key: string]: string;
            };
            query: {
                [key: string]: string;
            };
            expiresAt: string | null;
        };
        ConnectSession: {
            id: string;
            /** @description Send the user here; valid once, for ten minutes. */
            url: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            expiresAt: string;
        };
        ReturnOrigins: {
            /** @description Null when none is set: then only Coffer's own public origin is allowed. */
            origins: string[] | null;
        };
        Health: {
            /** @constant */
            status: "ok";
        };
        /** @description `degraded` still serves (answered with 200): see `checks`. */
        Readiness: {
            /** @enum {string} */
            status: "ready" | "degraded" | "unavailable";
            checks?: {
                /** @description The shared failure counters' Redis: `ok`, or why not. */
                redis?: string;
                /** @description SQLite: change events waiting in the outbox to move into the chain. */
                auditOutbox?: number;
            };
        };
        /**
         * @description A stable error code; the README lists what each means and what to do. New versions may add codes: treat an unknown one by its HTTP status.
         * @enum {string}
         */
        ErrorCode: "CONFIG_INVALID" | "NOT_INITIALIZED" | "ROOT_KEY_MISSING" | "ROOT_KEY_INVALID" | "ROOT_KEY_FILE_UNSAFE" | "ROOT_KEY_MISMATCH" | "ROOT_KEY_RETIRED" | "DATABASE_UNAVAILABLE" | "CIPHERTEXT_MALFORMED" | "CIPHERTEXT_UNSUPPORTED_FORMAT" | "KEY_NOT_FOUND" | "DECRYPTION_FAILED" | "TENANT_ID_INVALID" | "TENANT_NOT_FOUND" | "TENANT_EXISTS" | "SECRET_NAME_INVALID" | "SECRET_TYPE_INVALID" | "SECRET_VALUE_INVALID" | "SECRET_VALUE_TOO_LARGE" | "METADATA_INVALID" | "SECRET_NOT_FOUND" | "SECRET_VERSION_NOT_FOUND" | "SECRET_VERSION_DELETED" | "SECRET_VERSION_DESTROYED" | "CAS_MISMATCH" | "KEY_ID_INVALID" | "KEY_IN_USE" | "KEY_ACTIVE" | "ROTATION_UNAVAILABLE" | "ROTATION_IN_PROGRESS" | "UNAUTHENTICATED" | "FORBIDDEN" | "RATE_LIMITED" | "TOKEN_NOT_FOUND" | "SCOPE_INVALID" | "PROVIDER_INVALID" | "PROVIDER_NOT_FOUND" | "CONNECTION_NOT_FOUND" | "CONNECTION_INVALID" | "CONNECTION_UNUSABLE" | "PROVIDER_REQUEST_FAILED" | "OAUTH_CLIENT_MISSING" | "CONNECT_SESSION_INVALID" | "OAUTH_FAILED" | "PROVIDER_HOST_NOT_ALLOWED" | "OAUTH_ORIGIN_NOT_ALLOWED" | "CONNECTION_FIELD_IMMUTABLE" | "RETURN_URL_NOT_ALLOWED" | "OUTBOUND_BLOCKED" | "OUTBOUND_RESPONSE_TOO_LARGE" | "OUTBOUND_TIMEOUT" | "OUTBOUND_FAILED" | "AUDIT_UNAVAILABLE" | "AUDIT_CHECKPOINT_MISMATCH" | "INVALID_ARGUMENT" | "INTERNAL" | "VALIDATION_FAILED" | "INVALID_JSON" | "BODY_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "NOT_FOUND" | "BAD_REQUEST" | "BAD_URL" | "URI_TOO_LONG" | "SHUTTING_DOWN";
        /**
         * @description `admin` may do everything; `tenant` acts on one tenant within its scopes; `metrics` reads /metrics and nothing else.
         * @enum {string}
         */
        TokenKind: "admin" | "tenant" | "metrics";
        /**
         * @description A tenant scope, or `metrics:read`, which only a metrics token holds.
         * @enum {string}
         */
        TokenScope: "secrets:read" | "secrets:write" | "secrets:reveal" | "audit:read" | "connections:read" | "connections:write" | "metrics:read";
        /** @enum {string} */
        SecretType: "generic" | "api_key" | "oauth2" | "basic" | "password" | "webhook_secret" | "private_key";
        /** @enum {string} */
        VersionState: "active" | "deleted" | "destroyed";
        /**
         * @description A masked form of a value (never plaintext): a string, or an object of masked fields; null when nothing is left to mask.
         * @example shpa…cdef
         */
        MaskedValue: (string | {
            [key: string]: string;
        }) | null;
        /**
         * @description A non-empty string, or a flat JSON object of strings, numbers, booleans and nulls.
         * @example shpat_0123456789abcdef
         * @example {
         *       "client_id": "abc",
         *       "client_secret": "xyz"
         *     }
         */
        SecretValue: string | {
            [key: string]: string | number | boolean | null;
        };
        SecretVersionInfo: {
            version: number;
            state: components["schemas"]["VersionState"];
            /** @description The tenant key that wraps this version's data key; null once destroyed. */
            keyId: string | null;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            deletedAt: string | null;
            destroyedAt: string | null;
            masked: components["schemas"]["MaskedValue"];
        };
        RootKeyStatus: {
            /** @example root/1a2b3c4d */
            id: string;
            /** @enum {string} */
            state: "current" | "previous" | "retired";
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            /** @description Tenant key versions it wraps. */
            tenantKeys: number;
        };
        TenantKeyStatus: {
            /** @example acme/v2 */
            id: string;
            tenant: string;
            version: number;
            /** @enum {string} */
            state: "active" | "retired";
            newest: boolean;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
            rootKeyId: string | null;
            /** @description Secret versions whose data key it wraps. */
            secretVersions: number;
        };
        AuditKeyStatus: {
            version: number;
            /** @description Whether new audit events are MACed under it. */
            current: boolean;
            /** @description The root key that wraps it. */
            rootKeyId: string;
            /** @description Events after this seq are keyed; those up to it are from before audit keys. */
            firstSeq: number;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            createdAt: string;
        };
        /** @description A root rotation running, or interrupted and waiting for the next start. */
        RootRotationStatus: {
            /** @enum {string} */
            state: "starting" | "staged" | "switched";
            /** @description `host:pid:…` of the process holding the lease. */
            owner: string | null;
            running: boolean;
            leaseUntil: string | null;
            fromKeyId: string | null;
            toKeyId: string | null;
        };
        AuditEvent: {
            seq: number;
            id: string;
            /**
             * Format: date-time
             * @example 2026-11-27T09:30:00.000Z
             */
            at: string;
            actor: string;
            action: string;
            tenant: string | null;
            target: string | null;
            outcome: components["schemas"]["AuditOutcome"];
            code: string | null;
            ip: string | null;
            requestId: string | null;
            details: {
                [key: string]: string | number | boolean | null;
            };
            hash: string;
        };
        /** @enum {string} */
        AuditOutcome: "success" | "failure" | "denied";
        AuditPublicKey: {
            version: number;
            keyId: string;
            current: boolean;
            /** @description raw 32 bytes, base64 */
            publicKey: string;
            /** @description SPKI PEM */
            pem: string;
        };
        CheckpointPayload: {
            /** @constant */
            format: "coffer-audit-checkpoint/1";
            /** @description the newest event covered (0: an empty log) */
            seq: number;
            /** @description that event's hash */
            hash: string;
            /**
             * Format: date-time
             * @description when the checkpoint was made
             */
            at: string;
            /** @description the audit key version the signing key is derived from */
            keyVersion: number;
            /** @description first 16 hex digits of SHA-256 of the raw public key */
            keyId: string;
        };
        ProviderAuth: {
            mode: components["schemas"]["AuthMode"];
            fields: components["schemas"]["ProviderCredentialField"][];
            oauth?: components["schemas"]["ProviderOAuth"];
        };
        /** @enum {string} */
        AuthMode: "api_key" | "basic" | "oauth2" | "oauth2_client_credentials" | "custom";
        ProviderCredentialField: {
            name: string;
            label: string;
            required: boolean;
            pattern?: string;
            description?: string;
            /** @description Whether a form should hide the input; every credential field is stored in the vault and masked either way. */
            secret: boolean;
        };
        /** @description How Coffer runs OAuth with the provider. URLs may hold `{config_field}` placeholders. */
        ProviderOAuth: {
            authorizationUrl?: string;
            tokenUrl: string;
            revocationUrl?: string;
            issuer?: string;
            issuerInCallback: boolean;
            scopes: string[];
            scopeSeparator: string;
            pkce: boolean;
            /** @enum {string} */
            tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post" | "none";
            defaultExpiresIn?: number;
            refreshBufferSeconds: number;
            authorizationParams: {
                [key: string]: string;
            };
        };
        ProviderConfigField: {
            name: string;
            label: string;
            required: boolean;
            pattern?: string;
            description?: string;
            default?: string;
        };
        ProviderApi: {
            baseUrl: string;
            /** @description How a credential goes on a request: header and query templates with `{field}` placeholders. */
            inject: {
                headers: {
                    [key: string]: string;
                };
                query: {
                    [key: string]: string;
                };
            };
            test?: {
                /** @enum {string} */
                method: "GET" | "POST" | "HEAD";
                path: string;
                expectStatus: number;
                identifierPath?: string;
            };
            /** @description Advisory: the provider's limit, not enforced by Coffer. */
            rateLimit?: {
                requests: number;
                perSeconds: number;
            };
        };
        /** @enum {string} */
        ConnectionStatus: "active" | "error" | "expired" | "refresh_failed" | "revoked";
        /**
         * @example {
         *       "id": "acme",
         *       "name": "Acme Ltd"
         *     }
         */
        CreateTenantRequest: {
            /**
             * @description A tenant id: 1-64 letters, digits, ".", "_" or "-".
             * @example acme
             */
            id: string;
            name?: string;
        };
        /**
         * @example {
         *       "kind": "tenant",
         *       "tenant": "acme",
         *       "scopes": [
         *         "secrets:read",
         *         "secrets:reveal"
         *       ],
         *       "description": "billing worker",
         *       "ttlSeconds": 2592000
         *     }
         */
        CreateTokenRequest: {
            kind: components["schemas"]["TokenKind"];
            tenant?: string;
            scopes?: components["schemas"]["TokenScope"][];
            description?: string;
            ttlSeconds?: number;
        };
        /**
         * @example {
         *       "value": "shpat_0123456789abcdef",
         *       "type": "api_key",
         *       "metadata": {
         *         "shop": "acme.myshopify.com"
         *       }
         *     }
         */
        PutSecretRequest: {
            value: components["schemas"]["SecretValue"];
            type?: components["schemas"]["SecretType"];
            /** @description A JSON object of at most 8 KiB; never secret. */
            metadata?: {
                [key: string]: unknown;
            };
            /** @description Check-and-set: 0 creates only; N writes only if the current version is N. */
            cas?: number;
            /** @description Versions kept; older ones are destroyed by the write. */
            maxVersions?: number;
        };
        RevealRequest: {
            /** @description A version to reveal; default the current one. */
            version?: number;
        };
        VersionsRequest: {
            versions: number[];
        };
        /** @description A checkpoint file as written: the chain head signed with Ed25519. */
        SignedCheckpoint: {
            /** @constant */
            format: "coffer-audit-checkpoint/1";
            /** @description the newest event covered (0: an empty log) */
            seq: number;
            /** @description that event's hash */
            hash: string;
            /**
             * Format: date-time
             * @description when the checkpoint was made
             */
            at: string;
            /** @description the audit key version the signing key is derived from */
            keyVersion: number;
            /** @description first 16 hex digits of SHA-256 of the raw public key */
            keyId: string;
            signature: string;
            publicKey: string;
        };
        /**
         * @example {
         *       "provider": "takealot",
         *       "displayName": "Acme on Takealot",
         *       "credentials": {
         *         "api_key": "tk_0123456789"
         *       }
         *     }
         */
        CreateConnectionRequest: {
            /**
             * @description A provider id from the catalog (GET /v1/providers).
             * @example shopify
             */
            provider: string;
            displayName?: string;
            config?: {
                [key: string]: string;
            };
            /** @description The fields the provider declares (api_key, basic, custom). */
            credentials?: {
                [key: string]: string;
            };
            /**
             * @description Or an existing secret of the tenant that holds them (needs `secrets:reveal` too).
             * @example shopify_token
             */
            secret?: string;
        };
        UpdateConnectionRequest: {
            displayName?: string;
            config?: {
                [key: string]: string;
            };
            credentials?: {
                [key: string]: string;
            };
        };
        CredentialsRequest: Record<string, never>;
        /**
         * @example {
         *       "provider": "xero",
         *       "returnUrl": "https://app.example.com/integrations/done"
         *     }
         */
        ConnectSessionRequest: {
            /**
             * @description A provider id from the catalog (GET /v1/providers).
             * @example shopify
             */
            provider: string;
            displayName?: string;
            config?: {
                [key: string]: string;
            };
            /** @description Re-authorise this connection instead of creating one. */
            connectionId?: string;
            returnUrl: string;
            scopes?: string[];
        };
        SetReturnOriginsRequest: {
            origins: string[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listTenants: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantList"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createTenant: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTenantRequest"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Tenant"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `TENANT_ID_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_EXISTS`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deleteTenant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletedTenant"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `TENANT_ID_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listTokens: {
        parameters: {
            query?: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenList"];
                };
            };
            /**
             * @description Error:
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTokenRequest"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    /** @description Always `no-store`. */
                    "cache-control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `SCOPE_INVALID`
             *     - `TENANT_ID_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    revokeToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description An API token id (not the token). */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiToken"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TOKEN_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listSecrets: {
        parameters: {
            query?: {
                limit?: number;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretPage"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretInfo"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    putSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PutSecretRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutSecretResult"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `METADATA_INVALID`
             *     - `SECRET_NAME_INVALID`
             *     - `SECRET_TYPE_INVALID`
             *     - `SECRET_VALUE_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CAS_MISMATCH`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             *     - `SECRET_VALUE_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deleteSecret: {
        parameters: {
            query?: {
                version?: number;
            };
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionsResult"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    revealSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RevealRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description Always `no-store`. */
                    "cache-control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RevealedSecret"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listSecretVersions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretVersionList"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    undeleteSecretVersions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VersionsRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionsResult"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    destroySecretVersions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A secret name: 1-128 letters, digits, ".", "_" or "-". */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VersionsRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionsResult"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rotateTenantKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RotatedTenantKey"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rewrapTenant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RewrapResult"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getKeyStatus: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyStatus"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listAuditEvents: {
        parameters: {
            query?: {
                action?: string;
                actor?: string;
                target?: string;
                outcome?: components["schemas"]["AuditOutcome"];
                since?: string;
                until?: string;
                cursor?: number;
                limit?: number;
            };
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    verifyAuditChain: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChainVerification"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    verifyAuditCheckpoint: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignedCheckpoint"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CheckpointVerification"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createAuditCheckpoint: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WrittenCheckpoint"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `INVALID_JSON`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_CHECKPOINT_MISMATCH`
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listAuditPublicKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPublicKeyList"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listProviders: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProviderList"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getProvider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A provider id from the catalog (GET /v1/providers). */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Provider"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `PROVIDER_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listConnections: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionPage"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateConnectionRequest"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `SECRET_VALUE_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OAUTH_CLIENT_MISSING`
             *     - `OAUTH_ORIGIN_NOT_ALLOWED`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             *     - `SECRET_VALUE_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OAUTH_FAILED`
             *     - `OUTBOUND_BLOCKED`
             *     - `OUTBOUND_FAILED`
             *     - `OUTBOUND_RESPONSE_TOO_LARGE`
             *     - `PROVIDER_REQUEST_FAILED`
             */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OUTBOUND_TIMEOUT`
             */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A connection id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deleteConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A connection id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletedConnection"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    updateConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A connection id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateConnectionRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `SECRET_VALUE_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_FIELD_IMMUTABLE`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             *     - `SECRET_VALUE_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    testConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A connection id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionTestResult"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_UNUSABLE`
             *     - `OAUTH_CLIENT_MISSING`
             *     - `OAUTH_ORIGIN_NOT_ALLOWED`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OAUTH_FAILED`
             *     - `OUTBOUND_BLOCKED`
             *     - `OUTBOUND_FAILED`
             *     - `OUTBOUND_RESPONSE_TOO_LARGE`
             *     - `PROVIDER_REQUEST_FAILED`
             */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OUTBOUND_TIMEOUT`
             */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    refreshConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A connection id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_UNUSABLE`
             *     - `OAUTH_CLIENT_MISSING`
             *     - `OAUTH_ORIGIN_NOT_ALLOWED`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OAUTH_FAILED`
             *     - `OUTBOUND_BLOCKED`
             *     - `OUTBOUND_FAILED`
             *     - `OUTBOUND_RESPONSE_TOO_LARGE`
             *     - `PROVIDER_REQUEST_FAILED`
             */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OUTBOUND_TIMEOUT`
             */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getConnectionCredentials: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
                /** @description A connection id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CredentialsRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description Always `no-store`. */
                    "cache-control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsableCredentials"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_UNUSABLE`
             *     - `OAUTH_CLIENT_MISSING`
             *     - `OAUTH_ORIGIN_NOT_ALLOWED`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OAUTH_FAILED`
             *     - `OUTBOUND_BLOCKED`
             *     - `OUTBOUND_FAILED`
             *     - `OUTBOUND_RESPONSE_TOO_LARGE`
             *     - `PROVIDER_REQUEST_FAILED`
             */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OUTBOUND_TIMEOUT`
             */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    createConnectSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectSessionRequest"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    /** @description Always `no-store`. */
                    "cache-control"?: "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectSession"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `RETURN_URL_NOT_ALLOWED`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_FIELD_IMMUTABLE`
             *     - `OAUTH_CLIENT_MISSING`
             *     - `OAUTH_ORIGIN_NOT_ALLOWED`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getReturnOrigins: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReturnOrigins"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    setReturnOrigins: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A tenant id: 1-64 letters, digits, ".", "_" or "-". */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetReturnOriginsRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReturnOrigins"];
                };
            };
            /**
             * @description Error:
             *     - `BAD_REQUEST`
             *     - `BAD_URL`
             *     - `INVALID_ARGUMENT`
             *     - `INVALID_JSON`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `BODY_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `UNSUPPORTED_MEDIA_TYPE`
             */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    openConnectLink: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                link: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To the provider's authorization page (`Location`), with a `coffer_connect` cookie. */
            302: {
                headers: {
                    /** @description Where the browser goes next. */
                    Location?: string;
                    /** @description Always `no-store`. */
                    "cache-control"?: "no-store";
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Error:
             *     - `BAD_URL`
             *     - `CONNECT_SESSION_INVALID`
             *     - `CONNECTION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `PROVIDER_HOST_NOT_ALLOWED`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `OAUTH_CLIENT_MISSING`
             *     - `OAUTH_ORIGIN_NOT_ALLOWED`
             */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `URI_TOO_LONG`
             */
            414: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    completeOAuth: {
        parameters: {
            query?: {
                /** @description Whatever the provider sends back. */
                params?: {
                    [key: string]: string | string[];
                };
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To the application's return URL with the outcome in `coffer_status`. */
            302: {
                headers: {
                    /** @description Where the browser goes next. */
                    Location?: string;
                    /** @description Always `no-store`. */
                    "cache-control"?: "no-store";
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Error:
             *     - `CONNECT_SESSION_INVALID`
             *     - `INVALID_ARGUMENT`
             *     - `SECRET_VALUE_INVALID`
             *     - `VALIDATION_FAILED`
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CONNECTION_NOT_FOUND`
             *     - `PROVIDER_NOT_FOUND`
             *     - `SECRET_NOT_FOUND`
             *     - `SECRET_VERSION_NOT_FOUND`
             *     - `TENANT_NOT_FOUND`
             */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VERSION_DELETED`
             *     - `SECRET_VERSION_DESTROYED`
             */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SECRET_VALUE_TOO_LARGE`
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `CIPHERTEXT_MALFORMED`
             *     - `CIPHERTEXT_UNSUPPORTED_FORMAT`
             *     - `DECRYPTION_FAILED`
             *     - `INTERNAL`
             *     - `KEY_NOT_FOUND`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `ROOT_KEY_RETIRED`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Not ready: the vault or its database is unavailable. Or an error:
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"] | components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /**
             * @description Error:
             *     - `UNAUTHENTICATED`
             */
            401: {
                headers: {
                    /** @description `Bearer`: send an API token. */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `FORBIDDEN`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `RATE_LIMITED`
             */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `INTERNAL`
             */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /**
             * @description Error:
             *     - `AUDIT_UNAVAILABLE`
             *     - `DATABASE_UNAVAILABLE`
             *     - `SHUTTING_DOWN`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}
