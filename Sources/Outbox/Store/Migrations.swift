/// The schema, as forward-only steps. Never edit a step that has shipped: add the next one.
public enum Migrations {
    public struct Step: Sendable {
        public var version: Int
        public var name: String
        public var sql: [String]
    }

    public static var latestVersion: Int { all.last?.version ?? 0 }

    public static let all: [Step] = [
        Step(version: 1, name: "outbox core", sql: [
            """
            CREATE TABLE messages (
                id uuid PRIMARY KEY,
                source text NOT NULL,
                type text NOT NULL,
                subject text,
                time timestamptz NOT NULL,
                datacontenttype text NOT NULL,
                data json NOT NULL,  -- json, not jsonb: keeps the exact canonical bytes content_hash covers
                idempotency_key text,
                content_hash text NOT NULL,
                received_at timestamptz NOT NULL,
                correlation_id text
            )
            """,
            "CREATE INDEX messages_received_at ON messages (received_at)",
            """
            CREATE TABLE deliveries (
                id uuid PRIMARY KEY,
                message_id uuid NOT NULL REFERENCES messages (id),
                destination text NOT NULL,
                status text NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL DEFAULT now(),
                lease_owner text,
                lease_expires_at timestamptz,
                last_error text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                delivered_at timestamptz
            )
            """,
            "CREATE INDEX deliveries_message ON deliveries (message_id)",
            // The claim query's order, over claimable rows only: delivered rows pile up by the
            // million and must not slow the claim (a full (status, next_attempt_at) index does).
            "CREATE INDEX deliveries_due ON deliveries (destination, next_attempt_at, id) WHERE status = 'pending'",
            "CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE status = 'delivering'",
            """
            CREATE TABLE delivery_attempts (
                delivery_id uuid NOT NULL REFERENCES deliveries (id),
                attempt integer NOT NULL,
                started_at timestamptz NOT NULL,
                duration_ms integer NOT NULL,
                outcome text NOT NULL,
                http_status integer,
                error text,
                response_excerpt text,
                relay text NOT NULL,
                PRIMARY KEY (delivery_id, attempt)
            )
            """,
            """
            CREATE TABLE inbound_keys (
                scope text NOT NULL,
                key text NOT NULL,
                message_id uuid NOT NULL REFERENCES messages (id) DEFERRABLE INITIALLY DEFERRED,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (scope, key)
            )
            """,
        ]),
        Step(version: 2, name: "inbound requests and jobs", sql: [
            // What a vendor sent, as it arrived (credentials removed), for ops to inspect.
            """
            CREATE TABLE inbound_requests (
                message_id uuid PRIMARY KEY REFERENCES messages (id),
                headers json NOT NULL,
                body text NOT NULL,
                redacted boolean NOT NULL
            )
            """,
            // One row per delivery that works its message as a job (a vendor in sync or async
            // mode); the job's status is derived from its steps.
            """
            CREATE TABLE job_steps (
                delivery_id uuid PRIMARY KEY REFERENCES deliveries (id),
                message_id uuid NOT NULL REFERENCES messages (id),
                vendor text NOT NULL,
                mode text NOT NULL CHECK (mode IN ('sync', 'async')),
                status text NOT NULL CHECK (status IN ('pending', 'processing', 'complete', 'failed')),
                result json,
                error text,
                deadline_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX job_steps_message ON job_steps (message_id)",
            "CREATE INDEX job_steps_overdue ON job_steps (deadline_at) WHERE status = 'processing'",
        ]),
        Step(version: 3, name: "per-subject ordering", sql: [
            // The message's subject, set only for destinations that keep per-subject order, so
            // only their rows pay for the index the claim's "is this the subject's head?" uses.
            "ALTER TABLE deliveries ADD COLUMN ordering_key text",
            """
            CREATE INDEX deliveries_open_by_subject ON deliveries (destination, ordering_key, message_id)
            WHERE ordering_key IS NOT NULL AND status <> 'delivered'
            """,
        ]),
        Step(version: 4, name: "ops actions, paused destinations, retention", sql: [
            // Every ops action (dry runs included): who, when, with which filter, how many rows, and
            // for bulk actions how far they got.
            """
            CREATE TABLE ops_actions (
                id uuid PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                actor text NOT NULL,
                action text NOT NULL,
                filter json NOT NULL,
                dry_run boolean NOT NULL,
                total integer NOT NULL,
                processed integer NOT NULL DEFAULT 0,
                status text NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
                error text,
                finished_at timestamptz
            )
            """,
            """
            CREATE TABLE paused_destinations (
                destination text PRIMARY KEY,
                paused_at timestamptz NOT NULL DEFAULT now(),
                paused_by text NOT NULL
            )
            """,
            // A resent delivery names the delivered one it copies. No foreign key: retention may
            // purge the original first, and the link is history, not a dependency.
            "ALTER TABLE deliveries ADD COLUMN resent_from uuid",
            "CREATE INDEX deliveries_resent_from ON deliveries (resent_from) WHERE resent_from IS NOT NULL",
            // Redrive walks dead rows, resend and retention walk delivered ones. Both partial: a
            // new (pending) row pays for neither.
            "CREATE INDEX deliveries_dead ON deliveries (destination, id) WHERE status = 'dead'",
            "CREATE INDEX deliveries_delivered ON deliveries (delivered_at) WHERE status = 'delivered'",
        ]),
        Step(version: 5, name: "api tokens and event extensions", sql: [
            // Tokens made by `hub tokens create` or POST /v1/tokens: only the SHA-256 digest of
            // the secret is kept. A name is unique among live tokens, so a revoked name can be reused.
            """
            CREATE TABLE api_tokens (
                id uuid PRIMARY KEY,
                name text NOT NULL,
                role text NOT NULL CHECK (role IN ('ingest', 'read', 'operator', 'admin')),
                digest bytea NOT NULL UNIQUE,
                created_at timestamptz NOT NULL DEFAULT now(),
                last_used_at timestamptz,
                revoked_at timestamptz
            )
            """,
            "CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL",
            // CloudEvents extension attributes of events that came in through /v2, as a JSON object.
            "ALTER TABLE messages ADD COLUMN extensions json",
        ]),
        Step(version: 7, name: "current-state projection", sql: [
            // The latest document per (collection, subject). (version_time, version_id) is the
            // message that wrote it: an older message never overwrites it, and a tombstone
            // (deleted, document null) keeps its version so a late upsert cannot resurrect it.
            """
            CREATE TABLE projection_documents (
                collection text NOT NULL,
                subject text NOT NULL,
                version_time timestamptz NOT NULL,
                version_id uuid NOT NULL,
                deleted boolean NOT NULL,
                document jsonb,
                facets jsonb NOT NULL DEFAULT '{}',
                search tsvector NOT NULL DEFAULT '',
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (collection, subject)
            )
            """,
            "CREATE INDEX projection_documents_search ON projection_documents USING gin (search) WHERE NOT deleted",
            """
            CREATE INDEX projection_documents_facets ON projection_documents USING gin (facets jsonb_path_ops)
            WHERE NOT deleted
            """,
            // Newest first (the order without text) reads this backwards instead of sorting the collection.
            """
            CREATE INDEX projection_documents_newest ON projection_documents (collection, version_time, subject)
            WHERE NOT deleted
            """,
        ]),
        Step(version: 8, name: "dropped files", sql: [
            // One row per file content a drop source took in. Its records' messages are committed
            // in batches, each batch in the same transaction as this row's progress, so a crash
            // resumes at next_record and a file seen again is only moved.
            """
            CREATE TABLE file_intakes (
                source text NOT NULL,
                sha256 text NOT NULL,
                path text NOT NULL,
                size bigint NOT NULL,
                mtime timestamptz NOT NULL,
                status text NOT NULL CHECK (status IN ('ingesting', 'ingested', 'rejected')),
                next_record integer NOT NULL DEFAULT 0,
                records integer NOT NULL DEFAULT 0,
                skipped integer NOT NULL DEFAULT 0,
                report text,
                first_seen_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                PRIMARY KEY (source, sha256)
            )
            """,
            "CREATE INDEX file_intakes_by_path ON file_intakes (source, path, size, mtime)",
        ]),
        Step(version: 9, name: "projection change numbers", sql: [
            // Every insert, update (tombstones included) and physical delete of a collection's
            // documents gets a change number, so in-process facet indexes (and feeds) can fetch
            // only what changed. Numbers must become visible in order: a reader that has seen
            // change n must never later find an older change committing. So a writer locks its
            // collection's row in projection_marks before taking a number and holds it to commit:
            // writers of one collection commit one after another, those of different collections
            // do not wait for each other.
            "CREATE SEQUENCE projection_change_seq",
            """
            CREATE TABLE projection_marks (
                collection text PRIMARY KEY,
                -- The change number of the latest physical DELETE of the collection's rows: a
                -- reader that saw an older number must reload the collection.
                purged_seq bigint NOT NULL DEFAULT 0
            )
            """,
            "INSERT INTO projection_marks (collection) SELECT DISTINCT collection FROM projection_documents",
            """
            ALTER TABLE projection_documents
                ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('projection_change_seq')
            """,
            "CREATE INDEX projection_documents_changes ON projection_documents (collection, change_seq)",
            """
            CREATE FUNCTION projection_lock_collection(target text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO projection_marks (collection) VALUES (target) ON CONFLICT DO NOTHING;
                -- FOR UPDATE, not an UPDATE: a bulk write locks once instead of piling up row versions.
                PERFORM 1 FROM projection_marks WHERE collection = target FOR UPDATE;
            END $$
            """,
            // A trigger, so every writer (the connector, a bulk load, an operator's SQL) numbers its rows.
            """
            CREATE FUNCTION projection_number_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM projection_lock_collection(NEW.collection);
                NEW.change_seq := nextval('projection_change_seq');
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER projection_documents_number BEFORE INSERT OR UPDATE ON projection_documents
                FOR EACH ROW EXECUTE FUNCTION projection_number_change()
            """,
            """
            CREATE FUNCTION projection_note_purge() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                purged text;
            BEGIN
                FOR purged IN SELECT DISTINCT collection FROM gone LOOP
                    PERFORM projection_lock_collection(purged);
                    UPDATE projection_marks SET purged_seq = nextval('projection_change_seq') WHERE collection = purged;
                END LOOP;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER projection_documents_purge AFTER DELETE ON projection_documents
                REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION projection_note_purge()
            """,
        ]),
        Step(version: 10, name: "dealer feeds", sql: [
            // A message may carry a file (a rendered feed) instead of inline data: its bytes live
            // here in chunks, committed in the message's own transaction, and go when it goes.
            """
            CREATE TABLE message_files (
                message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
                seq integer NOT NULL,
                content bytea NOT NULL,
                PRIMARY KEY (message_id, seq)
            )
            """,
            // One row per feed run, whatever it came to: what the schedule, the unchanged-content
            // check and the shrink guard read back, and what GET /v1/feeds shows.
            """
            CREATE TABLE feed_runs (
                id uuid PRIMARY KEY,
                feed text NOT NULL,
                trigger text NOT NULL CHECK (trigger IN ('schedule', 'change', 'manual')),
                forced boolean NOT NULL DEFAULT false,
                requested_by text,
                status text NOT NULL CHECK (status IN ('published', 'unchanged', 'refused', 'failed')),
                started_at timestamptz NOT NULL,
                duration_ms integer NOT NULL,
                items integer NOT NULL DEFAULT 0,
                bytes bigint NOT NULL DEFAULT 0,
                sha256 text,
                file_name text,
                change_mark bigint,
                message_id uuid,
                detail text
            )
            """,
            "CREATE INDEX feed_runs_by_feed ON feed_runs (feed, started_at DESC)",
        ]),
        Step(version: 11, name: "webhook side rows without foreign keys", sql: [
            // A webhook's dedup key and raw request are written only by the ingest statement, for
            // a message inserted by that same statement, and retention deletes them before their
            // message: the foreign keys could never fire, yet their checks cost Postgres ~20% of
            // a webhook batch (pgbench, 32 webhooks per transaction: 563 against 680 batches/s).
            "ALTER TABLE inbound_keys DROP CONSTRAINT inbound_keys_message_id_fkey",
            "ALTER TABLE inbound_requests DROP CONSTRAINT inbound_requests_message_id_fkey",
        ]),
        Step(version: 12, name: "attempts without a foreign key", sql: [
            // Attempts are written only for deliveries the same statement has just updated (an
            // outcome batch, a lease reclaim), and retention deletes them before their delivery.
            // The key's check ran once per attempt, a query and a row lock per delivery made.
            "ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_delivery_id_fkey",
        ]),
    ]
}
