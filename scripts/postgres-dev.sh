#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server with pgvector, for development and the database tests.
#
#   scripts/postgres-dev.sh start [DIR]   # prints the server's DSN as its last line of standard output
#   scripts/postgres-dev.sh stop [DIR]    # stops it and deletes DIR
#
# DIR (default $RAG_PG_DIR, else /tmp/rag-postgres-dev) holds the cluster, its log and its socket.
# The server listens on 127.0.0.1 only, on a free port, and trusts local connections: it is for
# tests, never for data that matters.
#
# Missing pieces are installed from Debian packages only (as root): postgresql-15, and pgvector
# built from Debian's own source package. Debian 12 ships no pgvector binary package; the source
# package of trixie (0.8.x) builds against postgresql-server-dev-15 in seconds. Its package list is
# fetched into a folder of its own, so the system's apt sources and lists stay as they were.
# PostgreSQL refuses to run as root: started by root, the server runs as the `postgres` user.
set -euo pipefail

PG_MAJOR=15
BIN=/usr/lib/postgresql/$PG_MAJOR/bin
DIR=${2:-${RAG_PG_DIR:-/tmp/rag-postgres-dev}}
DB=rag
ROLE=rag

say() { echo "postgres-dev: $*" >&2; }
die() { say "$*"; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "$1 is missing and only root can install it (apt-get): run this script as root once, or install it yourself"
}

install_postgres() {
    [ -x "$BIN/initdb" ] && [ -x "$BIN/pg_config" ] && return
    need_root "PostgreSQL $PG_MAJOR"
    say "installing postgresql-$PG_MAJOR from Debian's packages"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" \
        build-essential dpkg-dev >&2
}

install_pgvector() {
    local share
    share=$("$BIN/pg_config" --sharedir)
    [ -f "$share/extension/vector.control" ] && return
    need_root "pgvector"
    # A machine may have the server without its headers (postgresql-15 alone): pgvector needs them.
    if [ ! -f "$("$BIN/pg_config" --includedir-server)/postgres.h" ]; then
        say "installing postgresql-server-dev-$PG_MAJOR to build pgvector"
        apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-server-dev-$PG_MAJOR" build-essential dpkg-dev >&2
    fi
    say "building pgvector from Debian's source package (trixie)"
    local work
    work=$(mktemp -d)
    mkdir -p "$work/lists/partial"
    cat > "$work/trixie-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    local apt_opts=(-o "Dir::Etc::SourceList=$work/trixie-src.sources" -o "Dir::Etc::SourceParts=-"
                    -o "Dir::State::Lists=$work/lists")
    apt-get "${apt_opts[@]}" update -q >&2
    (cd "$work" && apt-get "${apt_opts[@]}" source --download-only pgvector >&2)
    local orig
    orig=$(ls "$work"/pgvector_*.orig.tar.*)
    mkdir "$work/src"
    tar -xf "$orig" -C "$work/src" --strip-components=1
    # OPTFLAGS="": no -march=native, so the library runs on any x86-64 machine the folder is copied to.
    make -C "$work/src" -j2 PG_CONFIG="$BIN/pg_config" OPTFLAGS="" >&2
    make -C "$work/src" install PG_CONFIG="$BIN/pg_config" >&2
    rm -rf "$work"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Run a PostgreSQL program as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    install_postgres
    install_pgvector
    if [ -f "$DIR/port" ] && as_owner "$BIN/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1; then
        say "already running in $DIR"
    else
        rm -rf "$DIR"
        mkdir -p "$DIR"
        [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
        as_owner "$BIN/initdb" -D "$DIR/data" -U "$ROLE" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        free_port > "$DIR/port"
        as_owner "$BIN/pg_ctl" start -w -D "$DIR/data" -l "$DIR/server.log" \
            -o "-c listen_addresses=127.0.0.1 -p $(cat "$DIR/port") -k $DIR" >/dev/null \
            || die "the server did not start; see $DIR/server.log"
        as_owner "$BIN/createdb" -h 127.0.0.1 -p "$(cat "$DIR/port")" -U "$ROLE" "$DB"
        as_owner "$BIN/psql" -q -h 127.0.0.1 -p "$(cat "$DIR/port")" -U "$ROLE" -d "$DB" \
            -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
        say "started in $DIR (log: $DIR/server.log)"
    fi
    echo "postgresql://$ROLE@127.0.0.1:$(cat "$DIR/port")/$DB"
}

stop() {
    if [ -d "$DIR/data" ]; then
        as_owner "$BIN/pg_ctl" stop -w -D "$DIR/data" -m fast >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    say "stopped; $DIR removed"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
