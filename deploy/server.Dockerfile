# syntax=docker/dockerfile:1
# gochat-server image: a static binary on distroless (no shell, no package
# manager), run as the unprivileged "nonroot" user. Every setting comes
# from GOCHAT_<FLAG> variables (docs/operating.md); the SQLite default
# lives in the /data volume. Build from the repository root:
#   docker build -f deploy/server.Dockerfile -t gochat-server .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/gochatproto/gochat/internal/version.Version=${VERSION} -X github.com/gochatproto/gochat/internal/version.Commit=${COMMIT}" \
      -o /out/usr/bin/gochat-server ./refserver/cmd/gochat-server \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/usr/bin/gochat-server /usr/bin/gochat-server
# The volume starts out owned by the image's directory owner: nonroot.
COPY --from=build --chown=65532:65532 /out/data /data
ENV GOCHAT_DB=sqlite:/data/gochat.db
VOLUME /data
EXPOSE 9037 8037
USER nonroot:nonroot
# No shell: the binary probes itself (connects to GOCHAT_ADDR, waits for HELLO).
HEALTHCHECK --interval=10s --timeout=7s --start-period=10s --retries=3 \
  CMD ["/usr/bin/gochat-server", "health"]
ENTRYPOINT ["/usr/bin/gochat-server"]
