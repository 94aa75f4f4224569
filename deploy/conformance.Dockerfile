# syntax=docker/dockerfile:1
# gochat-conformance image: the suite (scenarios and fixture keys embedded)
# on distroless, no shell, unprivileged. Reports go wherever --junit,
# --json and --report point; mount a writable directory there:
#   docker run --rm -v "$PWD/reports:/reports" --user "$(id -u)" \
#     ghcr.io/gochatproto/gochat-conformance server --addr HOST:9037 \
#     --junit /reports/junit.xml --report /reports/report.html
# Build from the repository root:
#   docker build -f deploy/conformance.Dockerfile -t gochat-conformance .
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
      -o /out/usr/bin/gochat-conformance ./conformance/cmd/gochat-conformance \
 && mkdir -p /out/reports

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/usr/bin/gochat-conformance /usr/bin/gochat-conformance
COPY --from=build --chown=65532:65532 /out/reports /reports
WORKDIR /reports
USER nonroot:nonroot
ENTRYPOINT ["/usr/bin/gochat-conformance"]
CMD ["--help"]
