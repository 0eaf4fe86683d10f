#!/bin/sh
# Builds the barque-testapp:latest image FROM scratch from a static build of
# internal/testapp. There is no registry here, so the image must be built
# locally; the legacy builder (DOCKER_BUILDKIT=0) needs no network at all.
# Idempotent: the image carries the binary's sha256 as a label, and the
# build is skipped when the existing image already holds the same binary.
set -eu

IMAGE=${IMAGE:-barque-testapp:latest}
GO=${GO:-go}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT

cd "$ROOT"
CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' -o "$CTX/testapp" ./internal/testapp
SUM=$(sha256sum "$CTX/testapp" | cut -d' ' -f1)

HAVE=$(docker image inspect --format '{{ index .Config.Labels "io.barque.testapp.sha256" }}' "$IMAGE" 2>/dev/null || true)
if [ "$HAVE" = "$SUM" ]; then
	echo "$IMAGE is up to date (testapp sha256 $SUM)"
	exit 0
fi

cat >"$CTX/Dockerfile" <<DOCKERFILE
FROM scratch
COPY testapp /testapp
LABEL io.barque.testapp.sha256="$SUM"
ENTRYPOINT ["/testapp"]
CMD ["serve"]
DOCKERFILE

# The legacy builder warns that it is deprecated on every run; its output
# is shown only when the build fails.
if ! DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$CTX" >"$CTX/build.log" 2>&1; then
	cat "$CTX/build.log" >&2
	exit 1
fi
echo "built $IMAGE (testapp sha256 $SUM)"
