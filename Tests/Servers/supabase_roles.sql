-- The API roles every Supabase project has before any user migration runs, as its initial schema creates them:
-- anon and authenticated for client requests, service_role (BYPASSRLS) for servers, authenticator as the login
-- PostgREST uses, and the default privileges of a project created now: none for the API roles.
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit password 'authenticator';
grant anon, authenticated, service_role to authenticator;
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
grant usage on schema public to anon, authenticated, service_role;
-- New projects no longer expose what migrations create in public to the Data API: the API roles have no default
-- privileges there, so a migration must grant what it means to expose. (Older projects granted everything by
-- default; Schema/ revokes what it does not mean, so it holds on both.)
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
