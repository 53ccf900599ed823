# Sourced by the integration tests: installs the pinned npm packages of package-lock.json
# (ajv, parse-prometheus-text-format) into the build directory, once, under a lock so tests
# running in parallel do not race. Sets BRRT_NODE_DIR (node_modules lives there).
# Usage: brrt_node_env BIN_DIR SOURCE_DIR LOGFILE
brrt_node_env() {
    local bin=$1 src=$2 log=$3
    export BRRT_NODE_DIR=${BRRT_NODE_DIR:-$(cd "$bin/.." && pwd)/test_node}
    mkdir -p "$BRRT_NODE_DIR"
    (
        flock 9
        if ! cmp -s "$src/tests/integration/package-lock.json" "$BRRT_NODE_DIR/package-lock.json" ||
            [[ ! -d $BRRT_NODE_DIR/node_modules ]]; then
            cp "$src/tests/integration/package.json" "$src/tests/integration/package-lock.json" "$BRRT_NODE_DIR/"
            (cd "$BRRT_NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1 || {
                cat "$log" >&2
                echo "npm ci failed in $BRRT_NODE_DIR" >&2
                exit 1
            }
        fi
    ) 9>"$BRRT_NODE_DIR.lock"
}
