#!/bin/sh
# Runs once, on the postgres container's first start (docker-entrypoint-initdb.d): a role per
# service, each with its own password from the environment. flash_owner owns the flash
# database and applies migrations; flash (the runtime role) gets row access from it at start.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$FLASH_DB_OWNER_PASSWORD" -v flash_pw="$FLASH_DB_PASSWORD" \
  -v nbx_pw="$NBXPLORER_DB_PASSWORD" -v btcpay_pw="$BTCPAY_DB_PASSWORD" <<'SQL'
create role flash_owner login password :'owner_pw';
create role flash login password :'flash_pw';
create role nbxplorer login password :'nbx_pw';
create role btcpay login password :'btcpay_pw';
create database flash owner flash_owner;
create database nbxplorer owner nbxplorer;
create database btcpay owner btcpay;
revoke all on database flash from public;
grant connect on database flash to flash;
SQL
