-- Snowflake worker ids leased by the nodes sharing this database: a node holds its id while it
-- renews the lease, so two running nodes never mint the same ids.
create table node_leases (
    worker_id bigint primary key,
    holder text not null,
    expires_at bigint not null
);
