-- Tables used by all_rules.sql and clean.sql (pass with --schema), in the style of
-- pg_dump --schema-only output.

CREATE TABLE public.customers (
    id bigint NOT NULL,
    name text NOT NULL,
    email text NOT NULL,
    phone text,
    region character varying(8) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone
);

CREATE TABLE public.orders (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,
    status text NOT NULL,
    total numeric(12,2) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.products (
    id integer NOT NULL,
    name text NOT NULL,
    price numeric(10,2) NOT NULL,
    description text
);

CREATE TABLE public.sessions (
    id uuid NOT NULL,
    customer_id bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

CREATE TABLE public.newsletter_subscribers (
    email text NOT NULL,
    subscribed_at timestamp with time zone NOT NULL
);

CREATE INDEX orders_customer_id_idx ON public.orders USING btree (customer_id);
