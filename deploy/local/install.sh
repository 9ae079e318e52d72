#!/usr/bin/env bash
# Install what the local cluster needs and is missing: PostgreSQL, Redis, NATS (Debian packages),
# promtool (out of Debian's prometheus package, for the alert rules' tests) and
# Elasticsearch (integ-test distribution from Maven Central, cached in $GOVHALL_CACHE). Idempotent:
# a second run checks and returns in about a second.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ES_MAVEN_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$GOVHALL_ES_VERSION:zip"

# --- Debian packages -------------------------------------------------------------------------------
wanted=(postgresql redis-server nats-server curl unzip)
# The cases service renders notices as PDF: the same packages install-pdf.sh installs for `make run`.
wanted+=("${PDF_PACKAGES[@]}")
# Only root switches users (runuser, from util-linux) and grants traversal with ACLs.
is_root && wanted+=(acl)
# Elasticsearch needs a Java 17+ (and javac, to build the shim plugin below); the download uses
# Maven. The machines we know have both.
if ! jh="$(es_java_home)" || [ ! -x "$jh/bin/javac" ]; then
  wanted+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null || wanted+=(maven)
# ss: the readiness probes ask whether a port listens before they connect (lib.sh, `listening`).
command -v ss >/dev/null || wanted+=(iproute2)

install_debs "${wanted[@]}"

# --- Users -----------------------------------------------------------------------------------------
if is_root; then
  # PostgreSQL refuses to run as root: our cluster runs as Debian's postgres user (the package creates it).
  id -u "$GOVHALL_PG_OS_USER" >/dev/null 2>&1 || die "user $GOVHALL_PG_OS_USER missing although postgresql is installed"
  # Elasticsearch refuses to run as root: a dedicated system user without login or home.
  if ! id -u "$GOVHALL_ES_OS_USER" >/dev/null 2>&1; then
    say "creating system user $GOVHALL_ES_OS_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --comment "govhall local Elasticsearch" "$GOVHALL_ES_OS_USER"
  fi
fi

# --- Elasticsearch ---------------------------------------------------------------------------------
es_zip="$GOVHALL_CACHE/dist/elasticsearch-$GOVHALL_ES_VERSION.zip"
if [ -x "$GOVHALL_ES_HOME/bin/elasticsearch" ]; then
  say "Elasticsearch $GOVHALL_ES_VERSION present in $GOVHALL_ES_HOME"
else
  mkdir -p "$GOVHALL_CACHE/dist"
  if ! unzip -tqq "$es_zip" >/dev/null 2>&1; then
    rm -f "$es_zip"
    say "downloading $ES_ARTIFACT from Maven Central"
    if ! mvn -B -Dstyle.color=never "$ES_MAVEN_PLUGIN:copy" -Dartifact="$ES_ARTIFACT" \
      -DoutputDirectory="$GOVHALL_CACHE/dist" >"$GOVHALL_CACHE/dist/mvn.log" 2>&1; then
      tail -n 30 "$GOVHALL_CACHE/dist/mvn.log" >&2
      die "could not fetch $ES_ARTIFACT with Maven (is Maven Central reachable? does the version exist?)"
    fi
    [ -f "$es_zip" ] || die "Maven reported success but $es_zip is missing"
  fi
  say "unpacking $es_zip"
  tmp="$(mktemp -d "$GOVHALL_CACHE/.unpack.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  unzip -qq "$es_zip" -d "$tmp"
  [ -x "$tmp/elasticsearch-$GOVHALL_ES_VERSION/bin/elasticsearch" ] \
    || die "unexpected layout of $es_zip (no elasticsearch-$GOVHALL_ES_VERSION/bin/elasticsearch)"
  # Read-only for everyone else: each checkout runs it with its own config dir under var/.
  chmod -R u+rwX,go+rX-w "$tmp/elasticsearch-$GOVHALL_ES_VERSION"
  rm -rf "$GOVHALL_ES_HOME"
  mv "$tmp/elasticsearch-$GOVHALL_ES_VERSION" "$GOVHALL_ES_HOME"
  rm -rf "$tmp"
  trap - EXIT
  say "Elasticsearch $GOVHALL_ES_VERSION installed in $GOVHALL_ES_HOME"
fi
jh="$(es_java_home)" || die "no Java 17+ under /usr/lib/jvm for Elasticsearch (set GOVHALL_ES_JAVA_HOME)"

# --- The shim plugin ---------------------------------------------------------------------------------
# The integ-test distribution is the only Elasticsearch 8 on Maven Central, and it carries just the
# modules transport-netty4, x-pack-core, x-pack-security and apm. Missing are, among others,
# rest-root (GET / and HEAD /, used by the clients' info() and ping()) and analysis-common (the cjk
# analyzer). es-plugin/ re-registers those few things with Elasticsearch's and Lucene's own classes;
# it is compiled here against the distribution's jars (no download) and rebuilt when its source or
# the Elasticsearch version changes.
if es_plugin_current; then
  say "plugin govhall-compat current in $GOVHALL_ES_PLUGIN_DIR"
else
  [ -x "$jh/bin/javac" ] || die "no javac in $jh: install openjdk-17-jdk-headless"
  say "building plugin govhall-compat from $GOVHALL_ES_PLUGIN_SRC"
  build="$(mktemp -d "$GOVHALL_CACHE/.plugin.XXXXXX")"
  trap 'rm -rf "$build"' EXIT
  mapfile -t sources < <(find "$GOVHALL_ES_PLUGIN_SRC/src" -name '*.java' | LC_ALL=C sort)
  "$jh/bin/javac" -nowarn --release 17 -encoding UTF-8 -cp "$GOVHALL_ES_HOME/lib/*" \
    -d "$build/classes" "${sources[@]}" || die "compiling the plugin govhall-compat failed"
  mkdir -p "$build/govhall-compat"
  "$jh/bin/jar" --create --file "$build/govhall-compat/govhall-compat-$GOVHALL_ES_VERSION.jar" \
    -C "$build/classes" .
  sed "s/@ES_VERSION@/$GOVHALL_ES_VERSION/g" "$GOVHALL_ES_PLUGIN_SRC/plugin-descriptor.properties.in" \
    >"$build/govhall-compat/plugin-descriptor.properties"
  es_plugin_hash >"$build/govhall-compat/.source-sha256"
  chmod -R u+rwX,go+rX-w "$build/govhall-compat"
  rm -rf "$GOVHALL_ES_PLUGIN_DIR"
  mv "$build/govhall-compat" "$GOVHALL_ES_PLUGIN_DIR"
  rm -rf "$build"
  trap - EXIT
  say "plugin govhall-compat installed in $GOVHALL_ES_PLUGIN_DIR"
fi
if is_root; then
  grant_traverse "$GOVHALL_ES_OS_USER" "$GOVHALL_ES_HOME/bin"
fi

# --- promtool --------------------------------------------------------------------------------------
# The alert rules' unit tests (tests/deploy/test_alerts.py) run `promtool test rules`: only the
# binary, taken out of Debian's prometheus package into $GOVHALL_CACHE/bin; no Prometheus runs.
bash "$(dirname "${BASH_SOURCE[0]}")/install-promtool.sh" >/dev/null

say "install done"
